pub use root::*;

const _: () = ::planus::check_version_compatibility("planus-1.3.0");

/// The root namespace
///
/// Generated from these locations:
/// * File `trainer/src/tflite/schema.fbs`
#[no_implicit_prelude]
#[allow(clippy::needless_lifetimes)]
mod root {
    /// The enum `TensorType`
    ///
    /// Generated from these locations:
    /// * Enum `TensorType` in the file `trainer/src/tflite/schema.fbs:6`
    #[derive(
        Copy,
        Clone,
        Debug,
        PartialEq,
        Eq,
        PartialOrd,
        Ord,
        Hash,
        ::serde::Serialize,
        ::serde::Deserialize,
    )]
    #[repr(i8)]
    pub enum TensorType {
        /// The variant `FLOAT32` in the enum `TensorType`
        Float32 = 0,

        /// The variant `FLOAT16` in the enum `TensorType`
        Float16 = 1,

        /// The variant `INT32` in the enum `TensorType`
        Int32 = 2,

        /// The variant `UINT8` in the enum `TensorType`
        Uint8 = 3,

        /// The variant `INT64` in the enum `TensorType`
        Int64 = 4,

        /// The variant `STRING` in the enum `TensorType`
        String = 5,

        /// The variant `BOOL` in the enum `TensorType`
        Bool = 6,

        /// The variant `INT16` in the enum `TensorType`
        Int16 = 7,

        /// The variant `COMPLEX64` in the enum `TensorType`
        Complex64 = 8,

        /// The variant `INT8` in the enum `TensorType`
        Int8 = 9,

        /// The variant `FLOAT64` in the enum `TensorType`
        Float64 = 10,

        /// The variant `COMPLEX128` in the enum `TensorType`
        Complex128 = 11,

        /// The variant `UINT64` in the enum `TensorType`
        Uint64 = 12,

        /// The variant `RESOURCE` in the enum `TensorType`
        Resource = 13,

        /// The variant `VARIANT` in the enum `TensorType`
        Variant = 14,

        /// The variant `UINT32` in the enum `TensorType`
        Uint32 = 15,

        /// The variant `UINT16` in the enum `TensorType`
        Uint16 = 16,

        /// The variant `INT4` in the enum `TensorType`
        Int4 = 17,

        /// The variant `BFLOAT16` in the enum `TensorType`
        Bfloat16 = 18,

        /// The variant `INT2` in the enum `TensorType`
        Int2 = 19,

        /// The variant `UINT4` in the enum `TensorType`
        Uint4 = 20,
    }

    impl TensorType {
        /// Array containing all valid variants of TensorType
        pub const ENUM_VALUES: [Self; 21] = [
            Self::Float32,
            Self::Float16,
            Self::Int32,
            Self::Uint8,
            Self::Int64,
            Self::String,
            Self::Bool,
            Self::Int16,
            Self::Complex64,
            Self::Int8,
            Self::Float64,
            Self::Complex128,
            Self::Uint64,
            Self::Resource,
            Self::Variant,
            Self::Uint32,
            Self::Uint16,
            Self::Int4,
            Self::Bfloat16,
            Self::Int2,
            Self::Uint4,
        ];
    }

    impl ::core::convert::TryFrom<i8> for TensorType {
        type Error = ::planus::errors::UnknownEnumTagKind;
        #[inline]
        fn try_from(
            value: i8,
        ) -> ::core::result::Result<Self, ::planus::errors::UnknownEnumTagKind> {
            #[allow(clippy::match_single_binding)]
            match value {
                0 => ::core::result::Result::Ok(TensorType::Float32),
                1 => ::core::result::Result::Ok(TensorType::Float16),
                2 => ::core::result::Result::Ok(TensorType::Int32),
                3 => ::core::result::Result::Ok(TensorType::Uint8),
                4 => ::core::result::Result::Ok(TensorType::Int64),
                5 => ::core::result::Result::Ok(TensorType::String),
                6 => ::core::result::Result::Ok(TensorType::Bool),
                7 => ::core::result::Result::Ok(TensorType::Int16),
                8 => ::core::result::Result::Ok(TensorType::Complex64),
                9 => ::core::result::Result::Ok(TensorType::Int8),
                10 => ::core::result::Result::Ok(TensorType::Float64),
                11 => ::core::result::Result::Ok(TensorType::Complex128),
                12 => ::core::result::Result::Ok(TensorType::Uint64),
                13 => ::core::result::Result::Ok(TensorType::Resource),
                14 => ::core::result::Result::Ok(TensorType::Variant),
                15 => ::core::result::Result::Ok(TensorType::Uint32),
                16 => ::core::result::Result::Ok(TensorType::Uint16),
                17 => ::core::result::Result::Ok(TensorType::Int4),
                18 => ::core::result::Result::Ok(TensorType::Bfloat16),
                19 => ::core::result::Result::Ok(TensorType::Int2),
                20 => ::core::result::Result::Ok(TensorType::Uint4),

                _ => ::core::result::Result::Err(::planus::errors::UnknownEnumTagKind {
                    tag: value as i128,
                }),
            }
        }
    }

    impl ::core::convert::From<TensorType> for i8 {
        #[inline]
        fn from(value: TensorType) -> Self {
            value as i8
        }
    }

    /// # Safety
    /// The Planus compiler correctly calculates `ALIGNMENT` and `SIZE`.
    unsafe impl ::planus::Primitive for TensorType {
        const ALIGNMENT: usize = 1;
        const SIZE: usize = 1;
    }

    impl ::planus::WriteAsPrimitive<TensorType> for TensorType {
        #[inline]
        fn write<const N: usize>(&self, cursor: ::planus::Cursor<'_, N>, buffer_position: u32) {
            (*self as i8).write(cursor, buffer_position);
        }
    }

    impl ::planus::WriteAs<TensorType> for TensorType {
        type Prepared = Self;

        #[inline]
        fn prepare(&self, _builder: &mut ::planus::Builder) -> TensorType {
            *self
        }
    }

    impl ::planus::WriteAsDefault<TensorType, TensorType> for TensorType {
        type Prepared = Self;

        #[inline]
        fn prepare(
            &self,
            _builder: &mut ::planus::Builder,
            default: &TensorType,
        ) -> ::core::option::Option<TensorType> {
            if self == default {
                ::core::option::Option::None
            } else {
                ::core::option::Option::Some(*self)
            }
        }
    }

    impl ::planus::WriteAsOptional<TensorType> for TensorType {
        type Prepared = Self;

        #[inline]
        fn prepare(&self, _builder: &mut ::planus::Builder) -> ::core::option::Option<TensorType> {
            ::core::option::Option::Some(*self)
        }
    }

    impl<'buf> ::planus::TableRead<'buf> for TensorType {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'buf>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            let n: i8 = ::planus::TableRead::from_buffer(buffer, offset)?;
            ::core::result::Result::Ok(::core::convert::TryInto::try_into(n)?)
        }
    }

    impl<'buf> ::planus::VectorReadInner<'buf> for TensorType {
        type Error = ::planus::errors::UnknownEnumTag;
        const STRIDE: usize = 1;
        #[inline]
        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'buf>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::UnknownEnumTag> {
            let value = unsafe { *buffer.buffer.get_unchecked(offset) as i8 };
            let value: ::core::result::Result<Self, _> = ::core::convert::TryInto::try_into(value);
            value.map_err(|error_kind| {
                error_kind.with_error_location(
                    "TensorType",
                    "VectorRead::from_buffer",
                    buffer.offset_from_start,
                )
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<TensorType> for TensorType {
        const STRIDE: usize = 1;

        type Value = Self;

        #[inline]
        fn prepare(&self, _builder: &mut ::planus::Builder) -> Self {
            *self
        }

        #[inline]
        unsafe fn write_values(
            values: &[Self],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 1];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - i as u32,
                );
            }
        }
    }

    /// The enum `ActivationFunctionType`
    ///
    /// Generated from these locations:
    /// * Enum `ActivationFunctionType` in the file `trainer/src/tflite/schema.fbs:30`
    #[derive(
        Copy,
        Clone,
        Debug,
        PartialEq,
        Eq,
        PartialOrd,
        Ord,
        Hash,
        ::serde::Serialize,
        ::serde::Deserialize,
    )]
    #[repr(i8)]
    pub enum ActivationFunctionType {
        /// The variant `NONE` in the enum `ActivationFunctionType`
        None = 0,

        /// The variant `RELU` in the enum `ActivationFunctionType`
        Relu = 1,

        /// The variant `RELU_N1_TO_1` in the enum `ActivationFunctionType`
        ReluN1To1 = 2,

        /// The variant `RELU6` in the enum `ActivationFunctionType`
        Relu6 = 3,

        /// The variant `TANH` in the enum `ActivationFunctionType`
        Tanh = 4,

        /// The variant `SIGN_BIT` in the enum `ActivationFunctionType`
        SignBit = 5,
    }

    impl ActivationFunctionType {
        /// Array containing all valid variants of ActivationFunctionType
        pub const ENUM_VALUES: [Self; 6] = [
            Self::None,
            Self::Relu,
            Self::ReluN1To1,
            Self::Relu6,
            Self::Tanh,
            Self::SignBit,
        ];
    }

    impl ::core::convert::TryFrom<i8> for ActivationFunctionType {
        type Error = ::planus::errors::UnknownEnumTagKind;
        #[inline]
        fn try_from(
            value: i8,
        ) -> ::core::result::Result<Self, ::planus::errors::UnknownEnumTagKind> {
            #[allow(clippy::match_single_binding)]
            match value {
                0 => ::core::result::Result::Ok(ActivationFunctionType::None),
                1 => ::core::result::Result::Ok(ActivationFunctionType::Relu),
                2 => ::core::result::Result::Ok(ActivationFunctionType::ReluN1To1),
                3 => ::core::result::Result::Ok(ActivationFunctionType::Relu6),
                4 => ::core::result::Result::Ok(ActivationFunctionType::Tanh),
                5 => ::core::result::Result::Ok(ActivationFunctionType::SignBit),

                _ => ::core::result::Result::Err(::planus::errors::UnknownEnumTagKind {
                    tag: value as i128,
                }),
            }
        }
    }

    impl ::core::convert::From<ActivationFunctionType> for i8 {
        #[inline]
        fn from(value: ActivationFunctionType) -> Self {
            value as i8
        }
    }

    /// # Safety
    /// The Planus compiler correctly calculates `ALIGNMENT` and `SIZE`.
    unsafe impl ::planus::Primitive for ActivationFunctionType {
        const ALIGNMENT: usize = 1;
        const SIZE: usize = 1;
    }

    impl ::planus::WriteAsPrimitive<ActivationFunctionType> for ActivationFunctionType {
        #[inline]
        fn write<const N: usize>(&self, cursor: ::planus::Cursor<'_, N>, buffer_position: u32) {
            (*self as i8).write(cursor, buffer_position);
        }
    }

    impl ::planus::WriteAs<ActivationFunctionType> for ActivationFunctionType {
        type Prepared = Self;

        #[inline]
        fn prepare(&self, _builder: &mut ::planus::Builder) -> ActivationFunctionType {
            *self
        }
    }

    impl ::planus::WriteAsDefault<ActivationFunctionType, ActivationFunctionType>
        for ActivationFunctionType
    {
        type Prepared = Self;

        #[inline]
        fn prepare(
            &self,
            _builder: &mut ::planus::Builder,
            default: &ActivationFunctionType,
        ) -> ::core::option::Option<ActivationFunctionType> {
            if self == default {
                ::core::option::Option::None
            } else {
                ::core::option::Option::Some(*self)
            }
        }
    }

    impl ::planus::WriteAsOptional<ActivationFunctionType> for ActivationFunctionType {
        type Prepared = Self;

        #[inline]
        fn prepare(
            &self,
            _builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<ActivationFunctionType> {
            ::core::option::Option::Some(*self)
        }
    }

    impl<'buf> ::planus::TableRead<'buf> for ActivationFunctionType {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'buf>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            let n: i8 = ::planus::TableRead::from_buffer(buffer, offset)?;
            ::core::result::Result::Ok(::core::convert::TryInto::try_into(n)?)
        }
    }

    impl<'buf> ::planus::VectorReadInner<'buf> for ActivationFunctionType {
        type Error = ::planus::errors::UnknownEnumTag;
        const STRIDE: usize = 1;
        #[inline]
        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'buf>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::UnknownEnumTag> {
            let value = unsafe { *buffer.buffer.get_unchecked(offset) as i8 };
            let value: ::core::result::Result<Self, _> = ::core::convert::TryInto::try_into(value);
            value.map_err(|error_kind| {
                error_kind.with_error_location(
                    "ActivationFunctionType",
                    "VectorRead::from_buffer",
                    buffer.offset_from_start,
                )
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<ActivationFunctionType> for ActivationFunctionType {
        const STRIDE: usize = 1;

        type Value = Self;

        #[inline]
        fn prepare(&self, _builder: &mut ::planus::Builder) -> Self {
            *self
        }

        #[inline]
        unsafe fn write_values(
            values: &[Self],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 1];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - i as u32,
                );
            }
        }
    }

    /// The enum `BuiltinOperator`
    ///
    /// Generated from these locations:
    /// * Enum `BuiltinOperator` in the file `trainer/src/tflite/schema.fbs:39`
    #[derive(
        Copy,
        Clone,
        Debug,
        PartialEq,
        Eq,
        PartialOrd,
        Ord,
        Hash,
        ::serde::Serialize,
        ::serde::Deserialize,
    )]
    #[repr(i32)]
    pub enum BuiltinOperator {
        /// The variant `ADD` in the enum `BuiltinOperator`
        Add = 0,

        /// The variant `AVERAGE_POOL_2D` in the enum `BuiltinOperator`
        AveragePool2d = 1,

        /// The variant `CONCATENATION` in the enum `BuiltinOperator`
        Concatenation = 2,

        /// The variant `CONV_2D` in the enum `BuiltinOperator`
        Conv2d = 3,

        /// The variant `DEPTHWISE_CONV_2D` in the enum `BuiltinOperator`
        DepthwiseConv2d = 4,

        /// The variant `DEPTH_TO_SPACE` in the enum `BuiltinOperator`
        DepthToSpace = 5,

        /// The variant `DEQUANTIZE` in the enum `BuiltinOperator`
        Dequantize = 6,

        /// The variant `EMBEDDING_LOOKUP` in the enum `BuiltinOperator`
        EmbeddingLookup = 7,

        /// The variant `FLOOR` in the enum `BuiltinOperator`
        Floor = 8,

        /// The variant `FULLY_CONNECTED` in the enum `BuiltinOperator`
        FullyConnected = 9,

        /// The variant `HASHTABLE_LOOKUP` in the enum `BuiltinOperator`
        HashtableLookup = 10,

        /// The variant `L2_NORMALIZATION` in the enum `BuiltinOperator`
        L2Normalization = 11,

        /// The variant `L2_POOL_2D` in the enum `BuiltinOperator`
        L2Pool2d = 12,

        /// The variant `LOCAL_RESPONSE_NORMALIZATION` in the enum `BuiltinOperator`
        LocalResponseNormalization = 13,

        /// The variant `LOGISTIC` in the enum `BuiltinOperator`
        Logistic = 14,

        /// The variant `LSH_PROJECTION` in the enum `BuiltinOperator`
        LshProjection = 15,

        /// The variant `LSTM` in the enum `BuiltinOperator`
        Lstm = 16,

        /// The variant `MAX_POOL_2D` in the enum `BuiltinOperator`
        MaxPool2d = 17,

        /// The variant `MUL` in the enum `BuiltinOperator`
        Mul = 18,

        /// The variant `RELU` in the enum `BuiltinOperator`
        Relu = 19,

        /// The variant `RELU_N1_TO_1` in the enum `BuiltinOperator`
        ReluN1To1 = 20,

        /// The variant `RELU6` in the enum `BuiltinOperator`
        Relu6 = 21,

        /// The variant `RESHAPE` in the enum `BuiltinOperator`
        Reshape = 22,

        /// The variant `RESIZE_BILINEAR` in the enum `BuiltinOperator`
        ResizeBilinear = 23,

        /// The variant `RNN` in the enum `BuiltinOperator`
        Rnn = 24,

        /// The variant `SOFTMAX` in the enum `BuiltinOperator`
        Softmax = 25,

        /// The variant `SPACE_TO_DEPTH` in the enum `BuiltinOperator`
        SpaceToDepth = 26,

        /// The variant `SVDF` in the enum `BuiltinOperator`
        Svdf = 27,

        /// The variant `TANH` in the enum `BuiltinOperator`
        Tanh = 28,

        /// The variant `CONCAT_EMBEDDINGS` in the enum `BuiltinOperator`
        ConcatEmbeddings = 29,

        /// The variant `SKIP_GRAM` in the enum `BuiltinOperator`
        SkipGram = 30,

        /// The variant `CALL` in the enum `BuiltinOperator`
        Call = 31,

        /// The variant `CUSTOM` in the enum `BuiltinOperator`
        Custom = 32,

        /// The variant `EMBEDDING_LOOKUP_SPARSE` in the enum `BuiltinOperator`
        EmbeddingLookupSparse = 33,

        /// The variant `PAD` in the enum `BuiltinOperator`
        Pad = 34,

        /// The variant `UNIDIRECTIONAL_SEQUENCE_RNN` in the enum `BuiltinOperator`
        UnidirectionalSequenceRnn = 35,

        /// The variant `GATHER` in the enum `BuiltinOperator`
        Gather = 36,

        /// The variant `BATCH_TO_SPACE_ND` in the enum `BuiltinOperator`
        BatchToSpaceNd = 37,

        /// The variant `SPACE_TO_BATCH_ND` in the enum `BuiltinOperator`
        SpaceToBatchNd = 38,

        /// The variant `TRANSPOSE` in the enum `BuiltinOperator`
        Transpose = 39,

        /// The variant `MEAN` in the enum `BuiltinOperator`
        Mean = 40,

        /// The variant `SUB` in the enum `BuiltinOperator`
        Sub = 41,

        /// The variant `DIV` in the enum `BuiltinOperator`
        Div = 42,

        /// The variant `SQUEEZE` in the enum `BuiltinOperator`
        Squeeze = 43,

        /// The variant `UNIDIRECTIONAL_SEQUENCE_LSTM` in the enum `BuiltinOperator`
        UnidirectionalSequenceLstm = 44,

        /// The variant `STRIDED_SLICE` in the enum `BuiltinOperator`
        StridedSlice = 45,

        /// The variant `BIDIRECTIONAL_SEQUENCE_RNN` in the enum `BuiltinOperator`
        BidirectionalSequenceRnn = 46,

        /// The variant `EXP` in the enum `BuiltinOperator`
        Exp = 47,

        /// The variant `TOPK_V2` in the enum `BuiltinOperator`
        TopkV2 = 48,

        /// The variant `SPLIT` in the enum `BuiltinOperator`
        Split = 49,

        /// The variant `LOG_SOFTMAX` in the enum `BuiltinOperator`
        LogSoftmax = 50,

        /// The variant `DELEGATE` in the enum `BuiltinOperator`
        Delegate = 51,

        /// The variant `BIDIRECTIONAL_SEQUENCE_LSTM` in the enum `BuiltinOperator`
        BidirectionalSequenceLstm = 52,

        /// The variant `CAST` in the enum `BuiltinOperator`
        Cast = 53,

        /// The variant `PRELU` in the enum `BuiltinOperator`
        Prelu = 54,

        /// The variant `MAXIMUM` in the enum `BuiltinOperator`
        Maximum = 55,

        /// The variant `ARG_MAX` in the enum `BuiltinOperator`
        ArgMax = 56,

        /// The variant `MINIMUM` in the enum `BuiltinOperator`
        Minimum = 57,

        /// The variant `LESS` in the enum `BuiltinOperator`
        Less = 58,

        /// The variant `NEG` in the enum `BuiltinOperator`
        Neg = 59,

        /// The variant `PADV2` in the enum `BuiltinOperator`
        Padv2 = 60,

        /// The variant `GREATER` in the enum `BuiltinOperator`
        Greater = 61,

        /// The variant `GREATER_EQUAL` in the enum `BuiltinOperator`
        GreaterEqual = 62,

        /// The variant `LESS_EQUAL` in the enum `BuiltinOperator`
        LessEqual = 63,

        /// The variant `SELECT` in the enum `BuiltinOperator`
        Select = 64,

        /// The variant `SLICE` in the enum `BuiltinOperator`
        Slice = 65,

        /// The variant `SIN` in the enum `BuiltinOperator`
        Sin = 66,

        /// The variant `TRANSPOSE_CONV` in the enum `BuiltinOperator`
        TransposeConv = 67,

        /// The variant `SPARSE_TO_DENSE` in the enum `BuiltinOperator`
        SparseToDense = 68,

        /// The variant `TILE` in the enum `BuiltinOperator`
        Tile = 69,

        /// The variant `EXPAND_DIMS` in the enum `BuiltinOperator`
        ExpandDims = 70,

        /// The variant `EQUAL` in the enum `BuiltinOperator`
        Equal = 71,

        /// The variant `NOT_EQUAL` in the enum `BuiltinOperator`
        NotEqual = 72,

        /// The variant `LOG` in the enum `BuiltinOperator`
        Log = 73,

        /// The variant `SUM` in the enum `BuiltinOperator`
        Sum = 74,

        /// The variant `SQRT` in the enum `BuiltinOperator`
        Sqrt = 75,

        /// The variant `RSQRT` in the enum `BuiltinOperator`
        Rsqrt = 76,

        /// The variant `SHAPE` in the enum `BuiltinOperator`
        Shape = 77,

        /// The variant `POW` in the enum `BuiltinOperator`
        Pow = 78,

        /// The variant `ARG_MIN` in the enum `BuiltinOperator`
        ArgMin = 79,

        /// The variant `FAKE_QUANT` in the enum `BuiltinOperator`
        FakeQuant = 80,

        /// The variant `REDUCE_PROD` in the enum `BuiltinOperator`
        ReduceProd = 81,

        /// The variant `REDUCE_MAX` in the enum `BuiltinOperator`
        ReduceMax = 82,

        /// The variant `PACK` in the enum `BuiltinOperator`
        Pack = 83,

        /// The variant `LOGICAL_OR` in the enum `BuiltinOperator`
        LogicalOr = 84,

        /// The variant `ONE_HOT` in the enum `BuiltinOperator`
        OneHot = 85,

        /// The variant `LOGICAL_AND` in the enum `BuiltinOperator`
        LogicalAnd = 86,

        /// The variant `LOGICAL_NOT` in the enum `BuiltinOperator`
        LogicalNot = 87,

        /// The variant `UNPACK` in the enum `BuiltinOperator`
        Unpack = 88,

        /// The variant `REDUCE_MIN` in the enum `BuiltinOperator`
        ReduceMin = 89,

        /// The variant `FLOOR_DIV` in the enum `BuiltinOperator`
        FloorDiv = 90,

        /// The variant `REDUCE_ANY` in the enum `BuiltinOperator`
        ReduceAny = 91,

        /// The variant `SQUARE` in the enum `BuiltinOperator`
        Square = 92,

        /// The variant `ZEROS_LIKE` in the enum `BuiltinOperator`
        ZerosLike = 93,

        /// The variant `FILL` in the enum `BuiltinOperator`
        Fill = 94,

        /// The variant `FLOOR_MOD` in the enum `BuiltinOperator`
        FloorMod = 95,

        /// The variant `RANGE` in the enum `BuiltinOperator`
        Range = 96,

        /// The variant `RESIZE_NEAREST_NEIGHBOR` in the enum `BuiltinOperator`
        ResizeNearestNeighbor = 97,

        /// The variant `LEAKY_RELU` in the enum `BuiltinOperator`
        LeakyRelu = 98,

        /// The variant `SQUARED_DIFFERENCE` in the enum `BuiltinOperator`
        SquaredDifference = 99,

        /// The variant `MIRROR_PAD` in the enum `BuiltinOperator`
        MirrorPad = 100,

        /// The variant `ABS` in the enum `BuiltinOperator`
        Abs = 101,

        /// The variant `SPLIT_V` in the enum `BuiltinOperator`
        SplitV = 102,

        /// The variant `UNIQUE` in the enum `BuiltinOperator`
        Unique = 103,

        /// The variant `CEIL` in the enum `BuiltinOperator`
        Ceil = 104,

        /// The variant `REVERSE_V2` in the enum `BuiltinOperator`
        ReverseV2 = 105,

        /// The variant `ADD_N` in the enum `BuiltinOperator`
        AddN = 106,

        /// The variant `GATHER_ND` in the enum `BuiltinOperator`
        GatherNd = 107,

        /// The variant `COS` in the enum `BuiltinOperator`
        Cos = 108,

        /// The variant `WHERE` in the enum `BuiltinOperator`
        Where = 109,

        /// The variant `RANK` in the enum `BuiltinOperator`
        Rank = 110,

        /// The variant `ELU` in the enum `BuiltinOperator`
        Elu = 111,

        /// The variant `REVERSE_SEQUENCE` in the enum `BuiltinOperator`
        ReverseSequence = 112,

        /// The variant `MATRIX_DIAG` in the enum `BuiltinOperator`
        MatrixDiag = 113,

        /// The variant `QUANTIZE` in the enum `BuiltinOperator`
        Quantize = 114,

        /// The variant `MATRIX_SET_DIAG` in the enum `BuiltinOperator`
        MatrixSetDiag = 115,

        /// The variant `ROUND` in the enum `BuiltinOperator`
        Round = 116,

        /// The variant `HARD_SWISH` in the enum `BuiltinOperator`
        HardSwish = 117,

        /// The variant `IF` in the enum `BuiltinOperator`
        If = 118,

        /// The variant `WHILE` in the enum `BuiltinOperator`
        While = 119,

        /// The variant `NON_MAX_SUPPRESSION_V4` in the enum `BuiltinOperator`
        NonMaxSuppressionV4 = 120,

        /// The variant `NON_MAX_SUPPRESSION_V5` in the enum `BuiltinOperator`
        NonMaxSuppressionV5 = 121,

        /// The variant `SCATTER_ND` in the enum `BuiltinOperator`
        ScatterNd = 122,

        /// The variant `SELECT_V2` in the enum `BuiltinOperator`
        SelectV2 = 123,

        /// The variant `DENSIFY` in the enum `BuiltinOperator`
        Densify = 124,

        /// The variant `SEGMENT_SUM` in the enum `BuiltinOperator`
        SegmentSum = 125,

        /// The variant `BATCH_MATMUL` in the enum `BuiltinOperator`
        BatchMatmul = 126,

        /// The variant `PLACEHOLDER_FOR_GREATER_OP_CODES` in the enum `BuiltinOperator`
        PlaceholderForGreaterOpCodes = 127,

        /// The variant `CUMSUM` in the enum `BuiltinOperator`
        Cumsum = 128,

        /// The variant `CALL_ONCE` in the enum `BuiltinOperator`
        CallOnce = 129,

        /// The variant `BROADCAST_TO` in the enum `BuiltinOperator`
        BroadcastTo = 130,

        /// The variant `RFFT2D` in the enum `BuiltinOperator`
        Rfft2d = 131,

        /// The variant `CONV_3D` in the enum `BuiltinOperator`
        Conv3d = 132,

        /// The variant `IMAG` in the enum `BuiltinOperator`
        Imag = 133,

        /// The variant `REAL` in the enum `BuiltinOperator`
        Real = 134,

        /// The variant `COMPLEX_ABS` in the enum `BuiltinOperator`
        ComplexAbs = 135,

        /// The variant `HASHTABLE` in the enum `BuiltinOperator`
        Hashtable = 136,

        /// The variant `HASHTABLE_FIND` in the enum `BuiltinOperator`
        HashtableFind = 137,

        /// The variant `HASHTABLE_IMPORT` in the enum `BuiltinOperator`
        HashtableImport = 138,

        /// The variant `HASHTABLE_SIZE` in the enum `BuiltinOperator`
        HashtableSize = 139,

        /// The variant `REDUCE_ALL` in the enum `BuiltinOperator`
        ReduceAll = 140,

        /// The variant `CONV_3D_TRANSPOSE` in the enum `BuiltinOperator`
        Conv3dTranspose = 141,

        /// The variant `VAR_HANDLE` in the enum `BuiltinOperator`
        VarHandle = 142,

        /// The variant `READ_VARIABLE` in the enum `BuiltinOperator`
        ReadVariable = 143,

        /// The variant `ASSIGN_VARIABLE` in the enum `BuiltinOperator`
        AssignVariable = 144,

        /// The variant `BROADCAST_ARGS` in the enum `BuiltinOperator`
        BroadcastArgs = 145,

        /// The variant `RANDOM_STANDARD_NORMAL` in the enum `BuiltinOperator`
        RandomStandardNormal = 146,

        /// The variant `BUCKETIZE` in the enum `BuiltinOperator`
        Bucketize = 147,

        /// The variant `RANDOM_UNIFORM` in the enum `BuiltinOperator`
        RandomUniform = 148,

        /// The variant `MULTINOMIAL` in the enum `BuiltinOperator`
        Multinomial = 149,

        /// The variant `GELU` in the enum `BuiltinOperator`
        Gelu = 150,

        /// The variant `DYNAMIC_UPDATE_SLICE` in the enum `BuiltinOperator`
        DynamicUpdateSlice = 151,

        /// The variant `RELU_0_TO_1` in the enum `BuiltinOperator`
        Relu0To1 = 152,

        /// The variant `UNSORTED_SEGMENT_PROD` in the enum `BuiltinOperator`
        UnsortedSegmentProd = 153,

        /// The variant `UNSORTED_SEGMENT_MAX` in the enum `BuiltinOperator`
        UnsortedSegmentMax = 154,

        /// The variant `UNSORTED_SEGMENT_SUM` in the enum `BuiltinOperator`
        UnsortedSegmentSum = 155,

        /// The variant `ATAN2` in the enum `BuiltinOperator`
        Atan2 = 156,

        /// The variant `UNSORTED_SEGMENT_MIN` in the enum `BuiltinOperator`
        UnsortedSegmentMin = 157,

        /// The variant `SIGN` in the enum `BuiltinOperator`
        Sign = 158,

        /// The variant `BITCAST` in the enum `BuiltinOperator`
        Bitcast = 159,

        /// The variant `BITWISE_XOR` in the enum `BuiltinOperator`
        BitwiseXor = 160,

        /// The variant `RIGHT_SHIFT` in the enum `BuiltinOperator`
        RightShift = 161,

        /// The variant `STABLEHLO_LOGISTIC` in the enum `BuiltinOperator`
        StablehloLogistic = 162,

        /// The variant `STABLEHLO_ADD` in the enum `BuiltinOperator`
        StablehloAdd = 163,

        /// The variant `STABLEHLO_DIVIDE` in the enum `BuiltinOperator`
        StablehloDivide = 164,

        /// The variant `STABLEHLO_MULTIPLY` in the enum `BuiltinOperator`
        StablehloMultiply = 165,

        /// The variant `STABLEHLO_MAXIMUM` in the enum `BuiltinOperator`
        StablehloMaximum = 166,

        /// The variant `STABLEHLO_RESHAPE` in the enum `BuiltinOperator`
        StablehloReshape = 167,

        /// The variant `STABLEHLO_CLAMP` in the enum `BuiltinOperator`
        StablehloClamp = 168,

        /// The variant `STABLEHLO_CONCATENATE` in the enum `BuiltinOperator`
        StablehloConcatenate = 169,

        /// The variant `STABLEHLO_BROADCAST_IN_DIM` in the enum `BuiltinOperator`
        StablehloBroadcastInDim = 170,

        /// The variant `STABLEHLO_CONVOLUTION` in the enum `BuiltinOperator`
        StablehloConvolution = 171,

        /// The variant `STABLEHLO_SLICE` in the enum `BuiltinOperator`
        StablehloSlice = 172,

        /// The variant `STABLEHLO_CUSTOM_CALL` in the enum `BuiltinOperator`
        StablehloCustomCall = 173,

        /// The variant `STABLEHLO_REDUCE` in the enum `BuiltinOperator`
        StablehloReduce = 174,

        /// The variant `STABLEHLO_ABS` in the enum `BuiltinOperator`
        StablehloAbs = 175,

        /// The variant `STABLEHLO_AND` in the enum `BuiltinOperator`
        StablehloAnd = 176,

        /// The variant `STABLEHLO_COSINE` in the enum `BuiltinOperator`
        StablehloCosine = 177,

        /// The variant `STABLEHLO_EXPONENTIAL` in the enum `BuiltinOperator`
        StablehloExponential = 178,

        /// The variant `STABLEHLO_FLOOR` in the enum `BuiltinOperator`
        StablehloFloor = 179,

        /// The variant `STABLEHLO_LOG` in the enum `BuiltinOperator`
        StablehloLog = 180,

        /// The variant `STABLEHLO_MINIMUM` in the enum `BuiltinOperator`
        StablehloMinimum = 181,

        /// The variant `STABLEHLO_NEGATE` in the enum `BuiltinOperator`
        StablehloNegate = 182,

        /// The variant `STABLEHLO_OR` in the enum `BuiltinOperator`
        StablehloOr = 183,

        /// The variant `STABLEHLO_POWER` in the enum `BuiltinOperator`
        StablehloPower = 184,

        /// The variant `STABLEHLO_REMAINDER` in the enum `BuiltinOperator`
        StablehloRemainder = 185,

        /// The variant `STABLEHLO_RSQRT` in the enum `BuiltinOperator`
        StablehloRsqrt = 186,

        /// The variant `STABLEHLO_SELECT` in the enum `BuiltinOperator`
        StablehloSelect = 187,

        /// The variant `STABLEHLO_SUBTRACT` in the enum `BuiltinOperator`
        StablehloSubtract = 188,

        /// The variant `STABLEHLO_TANH` in the enum `BuiltinOperator`
        StablehloTanh = 189,

        /// The variant `STABLEHLO_SCATTER` in the enum `BuiltinOperator`
        StablehloScatter = 190,

        /// The variant `STABLEHLO_COMPARE` in the enum `BuiltinOperator`
        StablehloCompare = 191,

        /// The variant `STABLEHLO_CONVERT` in the enum `BuiltinOperator`
        StablehloConvert = 192,

        /// The variant `STABLEHLO_DYNAMIC_SLICE` in the enum `BuiltinOperator`
        StablehloDynamicSlice = 193,

        /// The variant `STABLEHLO_DYNAMIC_UPDATE_SLICE` in the enum `BuiltinOperator`
        StablehloDynamicUpdateSlice = 194,

        /// The variant `STABLEHLO_PAD` in the enum `BuiltinOperator`
        StablehloPad = 195,

        /// The variant `STABLEHLO_IOTA` in the enum `BuiltinOperator`
        StablehloIota = 196,

        /// The variant `STABLEHLO_DOT_GENERAL` in the enum `BuiltinOperator`
        StablehloDotGeneral = 197,

        /// The variant `STABLEHLO_REDUCE_WINDOW` in the enum `BuiltinOperator`
        StablehloReduceWindow = 198,

        /// The variant `STABLEHLO_SORT` in the enum `BuiltinOperator`
        StablehloSort = 199,

        /// The variant `STABLEHLO_WHILE` in the enum `BuiltinOperator`
        StablehloWhile = 200,

        /// The variant `STABLEHLO_GATHER` in the enum `BuiltinOperator`
        StablehloGather = 201,

        /// The variant `STABLEHLO_TRANSPOSE` in the enum `BuiltinOperator`
        StablehloTranspose = 202,

        /// The variant `DILATE` in the enum `BuiltinOperator`
        Dilate = 203,

        /// The variant `STABLEHLO_RNG_BIT_GENERATOR` in the enum `BuiltinOperator`
        StablehloRngBitGenerator = 204,

        /// The variant `REDUCE_WINDOW` in the enum `BuiltinOperator`
        ReduceWindow = 205,

        /// The variant `STABLEHLO_COMPOSITE` in the enum `BuiltinOperator`
        StablehloComposite = 206,

        /// The variant `STABLEHLO_SHIFT_LEFT` in the enum `BuiltinOperator`
        StablehloShiftLeft = 207,

        /// The variant `STABLEHLO_CBRT` in the enum `BuiltinOperator`
        StablehloCbrt = 208,

        /// The variant `STABLEHLO_CASE` in the enum `BuiltinOperator`
        StablehloCase = 209,
    }

    impl BuiltinOperator {
        /// Array containing all valid variants of BuiltinOperator
        pub const ENUM_VALUES: [Self; 210] = [
            Self::Add,
            Self::AveragePool2d,
            Self::Concatenation,
            Self::Conv2d,
            Self::DepthwiseConv2d,
            Self::DepthToSpace,
            Self::Dequantize,
            Self::EmbeddingLookup,
            Self::Floor,
            Self::FullyConnected,
            Self::HashtableLookup,
            Self::L2Normalization,
            Self::L2Pool2d,
            Self::LocalResponseNormalization,
            Self::Logistic,
            Self::LshProjection,
            Self::Lstm,
            Self::MaxPool2d,
            Self::Mul,
            Self::Relu,
            Self::ReluN1To1,
            Self::Relu6,
            Self::Reshape,
            Self::ResizeBilinear,
            Self::Rnn,
            Self::Softmax,
            Self::SpaceToDepth,
            Self::Svdf,
            Self::Tanh,
            Self::ConcatEmbeddings,
            Self::SkipGram,
            Self::Call,
            Self::Custom,
            Self::EmbeddingLookupSparse,
            Self::Pad,
            Self::UnidirectionalSequenceRnn,
            Self::Gather,
            Self::BatchToSpaceNd,
            Self::SpaceToBatchNd,
            Self::Transpose,
            Self::Mean,
            Self::Sub,
            Self::Div,
            Self::Squeeze,
            Self::UnidirectionalSequenceLstm,
            Self::StridedSlice,
            Self::BidirectionalSequenceRnn,
            Self::Exp,
            Self::TopkV2,
            Self::Split,
            Self::LogSoftmax,
            Self::Delegate,
            Self::BidirectionalSequenceLstm,
            Self::Cast,
            Self::Prelu,
            Self::Maximum,
            Self::ArgMax,
            Self::Minimum,
            Self::Less,
            Self::Neg,
            Self::Padv2,
            Self::Greater,
            Self::GreaterEqual,
            Self::LessEqual,
            Self::Select,
            Self::Slice,
            Self::Sin,
            Self::TransposeConv,
            Self::SparseToDense,
            Self::Tile,
            Self::ExpandDims,
            Self::Equal,
            Self::NotEqual,
            Self::Log,
            Self::Sum,
            Self::Sqrt,
            Self::Rsqrt,
            Self::Shape,
            Self::Pow,
            Self::ArgMin,
            Self::FakeQuant,
            Self::ReduceProd,
            Self::ReduceMax,
            Self::Pack,
            Self::LogicalOr,
            Self::OneHot,
            Self::LogicalAnd,
            Self::LogicalNot,
            Self::Unpack,
            Self::ReduceMin,
            Self::FloorDiv,
            Self::ReduceAny,
            Self::Square,
            Self::ZerosLike,
            Self::Fill,
            Self::FloorMod,
            Self::Range,
            Self::ResizeNearestNeighbor,
            Self::LeakyRelu,
            Self::SquaredDifference,
            Self::MirrorPad,
            Self::Abs,
            Self::SplitV,
            Self::Unique,
            Self::Ceil,
            Self::ReverseV2,
            Self::AddN,
            Self::GatherNd,
            Self::Cos,
            Self::Where,
            Self::Rank,
            Self::Elu,
            Self::ReverseSequence,
            Self::MatrixDiag,
            Self::Quantize,
            Self::MatrixSetDiag,
            Self::Round,
            Self::HardSwish,
            Self::If,
            Self::While,
            Self::NonMaxSuppressionV4,
            Self::NonMaxSuppressionV5,
            Self::ScatterNd,
            Self::SelectV2,
            Self::Densify,
            Self::SegmentSum,
            Self::BatchMatmul,
            Self::PlaceholderForGreaterOpCodes,
            Self::Cumsum,
            Self::CallOnce,
            Self::BroadcastTo,
            Self::Rfft2d,
            Self::Conv3d,
            Self::Imag,
            Self::Real,
            Self::ComplexAbs,
            Self::Hashtable,
            Self::HashtableFind,
            Self::HashtableImport,
            Self::HashtableSize,
            Self::ReduceAll,
            Self::Conv3dTranspose,
            Self::VarHandle,
            Self::ReadVariable,
            Self::AssignVariable,
            Self::BroadcastArgs,
            Self::RandomStandardNormal,
            Self::Bucketize,
            Self::RandomUniform,
            Self::Multinomial,
            Self::Gelu,
            Self::DynamicUpdateSlice,
            Self::Relu0To1,
            Self::UnsortedSegmentProd,
            Self::UnsortedSegmentMax,
            Self::UnsortedSegmentSum,
            Self::Atan2,
            Self::UnsortedSegmentMin,
            Self::Sign,
            Self::Bitcast,
            Self::BitwiseXor,
            Self::RightShift,
            Self::StablehloLogistic,
            Self::StablehloAdd,
            Self::StablehloDivide,
            Self::StablehloMultiply,
            Self::StablehloMaximum,
            Self::StablehloReshape,
            Self::StablehloClamp,
            Self::StablehloConcatenate,
            Self::StablehloBroadcastInDim,
            Self::StablehloConvolution,
            Self::StablehloSlice,
            Self::StablehloCustomCall,
            Self::StablehloReduce,
            Self::StablehloAbs,
            Self::StablehloAnd,
            Self::StablehloCosine,
            Self::StablehloExponential,
            Self::StablehloFloor,
            Self::StablehloLog,
            Self::StablehloMinimum,
            Self::StablehloNegate,
            Self::StablehloOr,
            Self::StablehloPower,
            Self::StablehloRemainder,
            Self::StablehloRsqrt,
            Self::StablehloSelect,
            Self::StablehloSubtract,
            Self::StablehloTanh,
            Self::StablehloScatter,
            Self::StablehloCompare,
            Self::StablehloConvert,
            Self::StablehloDynamicSlice,
            Self::StablehloDynamicUpdateSlice,
            Self::StablehloPad,
            Self::StablehloIota,
            Self::StablehloDotGeneral,
            Self::StablehloReduceWindow,
            Self::StablehloSort,
            Self::StablehloWhile,
            Self::StablehloGather,
            Self::StablehloTranspose,
            Self::Dilate,
            Self::StablehloRngBitGenerator,
            Self::ReduceWindow,
            Self::StablehloComposite,
            Self::StablehloShiftLeft,
            Self::StablehloCbrt,
            Self::StablehloCase,
        ];
    }

    impl ::core::convert::TryFrom<i32> for BuiltinOperator {
        type Error = ::planus::errors::UnknownEnumTagKind;
        #[inline]
        fn try_from(
            value: i32,
        ) -> ::core::result::Result<Self, ::planus::errors::UnknownEnumTagKind> {
            #[allow(clippy::match_single_binding)]
            match value {
                0 => ::core::result::Result::Ok(BuiltinOperator::Add),
                1 => ::core::result::Result::Ok(BuiltinOperator::AveragePool2d),
                2 => ::core::result::Result::Ok(BuiltinOperator::Concatenation),
                3 => ::core::result::Result::Ok(BuiltinOperator::Conv2d),
                4 => ::core::result::Result::Ok(BuiltinOperator::DepthwiseConv2d),
                5 => ::core::result::Result::Ok(BuiltinOperator::DepthToSpace),
                6 => ::core::result::Result::Ok(BuiltinOperator::Dequantize),
                7 => ::core::result::Result::Ok(BuiltinOperator::EmbeddingLookup),
                8 => ::core::result::Result::Ok(BuiltinOperator::Floor),
                9 => ::core::result::Result::Ok(BuiltinOperator::FullyConnected),
                10 => ::core::result::Result::Ok(BuiltinOperator::HashtableLookup),
                11 => ::core::result::Result::Ok(BuiltinOperator::L2Normalization),
                12 => ::core::result::Result::Ok(BuiltinOperator::L2Pool2d),
                13 => ::core::result::Result::Ok(BuiltinOperator::LocalResponseNormalization),
                14 => ::core::result::Result::Ok(BuiltinOperator::Logistic),
                15 => ::core::result::Result::Ok(BuiltinOperator::LshProjection),
                16 => ::core::result::Result::Ok(BuiltinOperator::Lstm),
                17 => ::core::result::Result::Ok(BuiltinOperator::MaxPool2d),
                18 => ::core::result::Result::Ok(BuiltinOperator::Mul),
                19 => ::core::result::Result::Ok(BuiltinOperator::Relu),
                20 => ::core::result::Result::Ok(BuiltinOperator::ReluN1To1),
                21 => ::core::result::Result::Ok(BuiltinOperator::Relu6),
                22 => ::core::result::Result::Ok(BuiltinOperator::Reshape),
                23 => ::core::result::Result::Ok(BuiltinOperator::ResizeBilinear),
                24 => ::core::result::Result::Ok(BuiltinOperator::Rnn),
                25 => ::core::result::Result::Ok(BuiltinOperator::Softmax),
                26 => ::core::result::Result::Ok(BuiltinOperator::SpaceToDepth),
                27 => ::core::result::Result::Ok(BuiltinOperator::Svdf),
                28 => ::core::result::Result::Ok(BuiltinOperator::Tanh),
                29 => ::core::result::Result::Ok(BuiltinOperator::ConcatEmbeddings),
                30 => ::core::result::Result::Ok(BuiltinOperator::SkipGram),
                31 => ::core::result::Result::Ok(BuiltinOperator::Call),
                32 => ::core::result::Result::Ok(BuiltinOperator::Custom),
                33 => ::core::result::Result::Ok(BuiltinOperator::EmbeddingLookupSparse),
                34 => ::core::result::Result::Ok(BuiltinOperator::Pad),
                35 => ::core::result::Result::Ok(BuiltinOperator::UnidirectionalSequenceRnn),
                36 => ::core::result::Result::Ok(BuiltinOperator::Gather),
                37 => ::core::result::Result::Ok(BuiltinOperator::BatchToSpaceNd),
                38 => ::core::result::Result::Ok(BuiltinOperator::SpaceToBatchNd),
                39 => ::core::result::Result::Ok(BuiltinOperator::Transpose),
                40 => ::core::result::Result::Ok(BuiltinOperator::Mean),
                41 => ::core::result::Result::Ok(BuiltinOperator::Sub),
                42 => ::core::result::Result::Ok(BuiltinOperator::Div),
                43 => ::core::result::Result::Ok(BuiltinOperator::Squeeze),
                44 => ::core::result::Result::Ok(BuiltinOperator::UnidirectionalSequenceLstm),
                45 => ::core::result::Result::Ok(BuiltinOperator::StridedSlice),
                46 => ::core::result::Result::Ok(BuiltinOperator::BidirectionalSequenceRnn),
                47 => ::core::result::Result::Ok(BuiltinOperator::Exp),
                48 => ::core::result::Result::Ok(BuiltinOperator::TopkV2),
                49 => ::core::result::Result::Ok(BuiltinOperator::Split),
                50 => ::core::result::Result::Ok(BuiltinOperator::LogSoftmax),
                51 => ::core::result::Result::Ok(BuiltinOperator::Delegate),
                52 => ::core::result::Result::Ok(BuiltinOperator::BidirectionalSequenceLstm),
                53 => ::core::result::Result::Ok(BuiltinOperator::Cast),
                54 => ::core::result::Result::Ok(BuiltinOperator::Prelu),
                55 => ::core::result::Result::Ok(BuiltinOperator::Maximum),
                56 => ::core::result::Result::Ok(BuiltinOperator::ArgMax),
                57 => ::core::result::Result::Ok(BuiltinOperator::Minimum),
                58 => ::core::result::Result::Ok(BuiltinOperator::Less),
                59 => ::core::result::Result::Ok(BuiltinOperator::Neg),
                60 => ::core::result::Result::Ok(BuiltinOperator::Padv2),
                61 => ::core::result::Result::Ok(BuiltinOperator::Greater),
                62 => ::core::result::Result::Ok(BuiltinOperator::GreaterEqual),
                63 => ::core::result::Result::Ok(BuiltinOperator::LessEqual),
                64 => ::core::result::Result::Ok(BuiltinOperator::Select),
                65 => ::core::result::Result::Ok(BuiltinOperator::Slice),
                66 => ::core::result::Result::Ok(BuiltinOperator::Sin),
                67 => ::core::result::Result::Ok(BuiltinOperator::TransposeConv),
                68 => ::core::result::Result::Ok(BuiltinOperator::SparseToDense),
                69 => ::core::result::Result::Ok(BuiltinOperator::Tile),
                70 => ::core::result::Result::Ok(BuiltinOperator::ExpandDims),
                71 => ::core::result::Result::Ok(BuiltinOperator::Equal),
                72 => ::core::result::Result::Ok(BuiltinOperator::NotEqual),
                73 => ::core::result::Result::Ok(BuiltinOperator::Log),
                74 => ::core::result::Result::Ok(BuiltinOperator::Sum),
                75 => ::core::result::Result::Ok(BuiltinOperator::Sqrt),
                76 => ::core::result::Result::Ok(BuiltinOperator::Rsqrt),
                77 => ::core::result::Result::Ok(BuiltinOperator::Shape),
                78 => ::core::result::Result::Ok(BuiltinOperator::Pow),
                79 => ::core::result::Result::Ok(BuiltinOperator::ArgMin),
                80 => ::core::result::Result::Ok(BuiltinOperator::FakeQuant),
                81 => ::core::result::Result::Ok(BuiltinOperator::ReduceProd),
                82 => ::core::result::Result::Ok(BuiltinOperator::ReduceMax),
                83 => ::core::result::Result::Ok(BuiltinOperator::Pack),
                84 => ::core::result::Result::Ok(BuiltinOperator::LogicalOr),
                85 => ::core::result::Result::Ok(BuiltinOperator::OneHot),
                86 => ::core::result::Result::Ok(BuiltinOperator::LogicalAnd),
                87 => ::core::result::Result::Ok(BuiltinOperator::LogicalNot),
                88 => ::core::result::Result::Ok(BuiltinOperator::Unpack),
                89 => ::core::result::Result::Ok(BuiltinOperator::ReduceMin),
                90 => ::core::result::Result::Ok(BuiltinOperator::FloorDiv),
                91 => ::core::result::Result::Ok(BuiltinOperator::ReduceAny),
                92 => ::core::result::Result::Ok(BuiltinOperator::Square),
                93 => ::core::result::Result::Ok(BuiltinOperator::ZerosLike),
                94 => ::core::result::Result::Ok(BuiltinOperator::Fill),
                95 => ::core::result::Result::Ok(BuiltinOperator::FloorMod),
                96 => ::core::result::Result::Ok(BuiltinOperator::Range),
                97 => ::core::result::Result::Ok(BuiltinOperator::ResizeNearestNeighbor),
                98 => ::core::result::Result::Ok(BuiltinOperator::LeakyRelu),
                99 => ::core::result::Result::Ok(BuiltinOperator::SquaredDifference),
                100 => ::core::result::Result::Ok(BuiltinOperator::MirrorPad),
                101 => ::core::result::Result::Ok(BuiltinOperator::Abs),
                102 => ::core::result::Result::Ok(BuiltinOperator::SplitV),
                103 => ::core::result::Result::Ok(BuiltinOperator::Unique),
                104 => ::core::result::Result::Ok(BuiltinOperator::Ceil),
                105 => ::core::result::Result::Ok(BuiltinOperator::ReverseV2),
                106 => ::core::result::Result::Ok(BuiltinOperator::AddN),
                107 => ::core::result::Result::Ok(BuiltinOperator::GatherNd),
                108 => ::core::result::Result::Ok(BuiltinOperator::Cos),
                109 => ::core::result::Result::Ok(BuiltinOperator::Where),
                110 => ::core::result::Result::Ok(BuiltinOperator::Rank),
                111 => ::core::result::Result::Ok(BuiltinOperator::Elu),
                112 => ::core::result::Result::Ok(BuiltinOperator::ReverseSequence),
                113 => ::core::result::Result::Ok(BuiltinOperator::MatrixDiag),
                114 => ::core::result::Result::Ok(BuiltinOperator::Quantize),
                115 => ::core::result::Result::Ok(BuiltinOperator::MatrixSetDiag),
                116 => ::core::result::Result::Ok(BuiltinOperator::Round),
                117 => ::core::result::Result::Ok(BuiltinOperator::HardSwish),
                118 => ::core::result::Result::Ok(BuiltinOperator::If),
                119 => ::core::result::Result::Ok(BuiltinOperator::While),
                120 => ::core::result::Result::Ok(BuiltinOperator::NonMaxSuppressionV4),
                121 => ::core::result::Result::Ok(BuiltinOperator::NonMaxSuppressionV5),
                122 => ::core::result::Result::Ok(BuiltinOperator::ScatterNd),
                123 => ::core::result::Result::Ok(BuiltinOperator::SelectV2),
                124 => ::core::result::Result::Ok(BuiltinOperator::Densify),
                125 => ::core::result::Result::Ok(BuiltinOperator::SegmentSum),
                126 => ::core::result::Result::Ok(BuiltinOperator::BatchMatmul),
                127 => ::core::result::Result::Ok(BuiltinOperator::PlaceholderForGreaterOpCodes),
                128 => ::core::result::Result::Ok(BuiltinOperator::Cumsum),
                129 => ::core::result::Result::Ok(BuiltinOperator::CallOnce),
                130 => ::core::result::Result::Ok(BuiltinOperator::BroadcastTo),
                131 => ::core::result::Result::Ok(BuiltinOperator::Rfft2d),
                132 => ::core::result::Result::Ok(BuiltinOperator::Conv3d),
                133 => ::core::result::Result::Ok(BuiltinOperator::Imag),
                134 => ::core::result::Result::Ok(BuiltinOperator::Real),
                135 => ::core::result::Result::Ok(BuiltinOperator::ComplexAbs),
                136 => ::core::result::Result::Ok(BuiltinOperator::Hashtable),
                137 => ::core::result::Result::Ok(BuiltinOperator::HashtableFind),
                138 => ::core::result::Result::Ok(BuiltinOperator::HashtableImport),
                139 => ::core::result::Result::Ok(BuiltinOperator::HashtableSize),
                140 => ::core::result::Result::Ok(BuiltinOperator::ReduceAll),
                141 => ::core::result::Result::Ok(BuiltinOperator::Conv3dTranspose),
                142 => ::core::result::Result::Ok(BuiltinOperator::VarHandle),
                143 => ::core::result::Result::Ok(BuiltinOperator::ReadVariable),
                144 => ::core::result::Result::Ok(BuiltinOperator::AssignVariable),
                145 => ::core::result::Result::Ok(BuiltinOperator::BroadcastArgs),
                146 => ::core::result::Result::Ok(BuiltinOperator::RandomStandardNormal),
                147 => ::core::result::Result::Ok(BuiltinOperator::Bucketize),
                148 => ::core::result::Result::Ok(BuiltinOperator::RandomUniform),
                149 => ::core::result::Result::Ok(BuiltinOperator::Multinomial),
                150 => ::core::result::Result::Ok(BuiltinOperator::Gelu),
                151 => ::core::result::Result::Ok(BuiltinOperator::DynamicUpdateSlice),
                152 => ::core::result::Result::Ok(BuiltinOperator::Relu0To1),
                153 => ::core::result::Result::Ok(BuiltinOperator::UnsortedSegmentProd),
                154 => ::core::result::Result::Ok(BuiltinOperator::UnsortedSegmentMax),
                155 => ::core::result::Result::Ok(BuiltinOperator::UnsortedSegmentSum),
                156 => ::core::result::Result::Ok(BuiltinOperator::Atan2),
                157 => ::core::result::Result::Ok(BuiltinOperator::UnsortedSegmentMin),
                158 => ::core::result::Result::Ok(BuiltinOperator::Sign),
                159 => ::core::result::Result::Ok(BuiltinOperator::Bitcast),
                160 => ::core::result::Result::Ok(BuiltinOperator::BitwiseXor),
                161 => ::core::result::Result::Ok(BuiltinOperator::RightShift),
                162 => ::core::result::Result::Ok(BuiltinOperator::StablehloLogistic),
                163 => ::core::result::Result::Ok(BuiltinOperator::StablehloAdd),
                164 => ::core::result::Result::Ok(BuiltinOperator::StablehloDivide),
                165 => ::core::result::Result::Ok(BuiltinOperator::StablehloMultiply),
                166 => ::core::result::Result::Ok(BuiltinOperator::StablehloMaximum),
                167 => ::core::result::Result::Ok(BuiltinOperator::StablehloReshape),
                168 => ::core::result::Result::Ok(BuiltinOperator::StablehloClamp),
                169 => ::core::result::Result::Ok(BuiltinOperator::StablehloConcatenate),
                170 => ::core::result::Result::Ok(BuiltinOperator::StablehloBroadcastInDim),
                171 => ::core::result::Result::Ok(BuiltinOperator::StablehloConvolution),
                172 => ::core::result::Result::Ok(BuiltinOperator::StablehloSlice),
                173 => ::core::result::Result::Ok(BuiltinOperator::StablehloCustomCall),
                174 => ::core::result::Result::Ok(BuiltinOperator::StablehloReduce),
                175 => ::core::result::Result::Ok(BuiltinOperator::StablehloAbs),
                176 => ::core::result::Result::Ok(BuiltinOperator::StablehloAnd),
                177 => ::core::result::Result::Ok(BuiltinOperator::StablehloCosine),
                178 => ::core::result::Result::Ok(BuiltinOperator::StablehloExponential),
                179 => ::core::result::Result::Ok(BuiltinOperator::StablehloFloor),
                180 => ::core::result::Result::Ok(BuiltinOperator::StablehloLog),
                181 => ::core::result::Result::Ok(BuiltinOperator::StablehloMinimum),
                182 => ::core::result::Result::Ok(BuiltinOperator::StablehloNegate),
                183 => ::core::result::Result::Ok(BuiltinOperator::StablehloOr),
                184 => ::core::result::Result::Ok(BuiltinOperator::StablehloPower),
                185 => ::core::result::Result::Ok(BuiltinOperator::StablehloRemainder),
                186 => ::core::result::Result::Ok(BuiltinOperator::StablehloRsqrt),
                187 => ::core::result::Result::Ok(BuiltinOperator::StablehloSelect),
                188 => ::core::result::Result::Ok(BuiltinOperator::StablehloSubtract),
                189 => ::core::result::Result::Ok(BuiltinOperator::StablehloTanh),
                190 => ::core::result::Result::Ok(BuiltinOperator::StablehloScatter),
                191 => ::core::result::Result::Ok(BuiltinOperator::StablehloCompare),
                192 => ::core::result::Result::Ok(BuiltinOperator::StablehloConvert),
                193 => ::core::result::Result::Ok(BuiltinOperator::StablehloDynamicSlice),
                194 => ::core::result::Result::Ok(BuiltinOperator::StablehloDynamicUpdateSlice),
                195 => ::core::result::Result::Ok(BuiltinOperator::StablehloPad),
                196 => ::core::result::Result::Ok(BuiltinOperator::StablehloIota),
                197 => ::core::result::Result::Ok(BuiltinOperator::StablehloDotGeneral),
                198 => ::core::result::Result::Ok(BuiltinOperator::StablehloReduceWindow),
                199 => ::core::result::Result::Ok(BuiltinOperator::StablehloSort),
                200 => ::core::result::Result::Ok(BuiltinOperator::StablehloWhile),
                201 => ::core::result::Result::Ok(BuiltinOperator::StablehloGather),
                202 => ::core::result::Result::Ok(BuiltinOperator::StablehloTranspose),
                203 => ::core::result::Result::Ok(BuiltinOperator::Dilate),
                204 => ::core::result::Result::Ok(BuiltinOperator::StablehloRngBitGenerator),
                205 => ::core::result::Result::Ok(BuiltinOperator::ReduceWindow),
                206 => ::core::result::Result::Ok(BuiltinOperator::StablehloComposite),
                207 => ::core::result::Result::Ok(BuiltinOperator::StablehloShiftLeft),
                208 => ::core::result::Result::Ok(BuiltinOperator::StablehloCbrt),
                209 => ::core::result::Result::Ok(BuiltinOperator::StablehloCase),

                _ => ::core::result::Result::Err(::planus::errors::UnknownEnumTagKind {
                    tag: value as i128,
                }),
            }
        }
    }

    impl ::core::convert::From<BuiltinOperator> for i32 {
        #[inline]
        fn from(value: BuiltinOperator) -> Self {
            value as i32
        }
    }

    /// # Safety
    /// The Planus compiler correctly calculates `ALIGNMENT` and `SIZE`.
    unsafe impl ::planus::Primitive for BuiltinOperator {
        const ALIGNMENT: usize = 4;
        const SIZE: usize = 4;
    }

    impl ::planus::WriteAsPrimitive<BuiltinOperator> for BuiltinOperator {
        #[inline]
        fn write<const N: usize>(&self, cursor: ::planus::Cursor<'_, N>, buffer_position: u32) {
            (*self as i32).write(cursor, buffer_position);
        }
    }

    impl ::planus::WriteAs<BuiltinOperator> for BuiltinOperator {
        type Prepared = Self;

        #[inline]
        fn prepare(&self, _builder: &mut ::planus::Builder) -> BuiltinOperator {
            *self
        }
    }

    impl ::planus::WriteAsDefault<BuiltinOperator, BuiltinOperator> for BuiltinOperator {
        type Prepared = Self;

        #[inline]
        fn prepare(
            &self,
            _builder: &mut ::planus::Builder,
            default: &BuiltinOperator,
        ) -> ::core::option::Option<BuiltinOperator> {
            if self == default {
                ::core::option::Option::None
            } else {
                ::core::option::Option::Some(*self)
            }
        }
    }

    impl ::planus::WriteAsOptional<BuiltinOperator> for BuiltinOperator {
        type Prepared = Self;

        #[inline]
        fn prepare(
            &self,
            _builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<BuiltinOperator> {
            ::core::option::Option::Some(*self)
        }
    }

    impl<'buf> ::planus::TableRead<'buf> for BuiltinOperator {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'buf>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            let n: i32 = ::planus::TableRead::from_buffer(buffer, offset)?;
            ::core::result::Result::Ok(::core::convert::TryInto::try_into(n)?)
        }
    }

    impl<'buf> ::planus::VectorReadInner<'buf> for BuiltinOperator {
        type Error = ::planus::errors::UnknownEnumTag;
        const STRIDE: usize = 4;
        #[inline]
        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'buf>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::UnknownEnumTag> {
            let value = unsafe { <i32 as ::planus::VectorRead>::from_buffer(buffer, offset) };
            let value: ::core::result::Result<Self, _> = ::core::convert::TryInto::try_into(value);
            value.map_err(|error_kind| {
                error_kind.with_error_location(
                    "BuiltinOperator",
                    "VectorRead::from_buffer",
                    buffer.offset_from_start,
                )
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<BuiltinOperator> for BuiltinOperator {
        const STRIDE: usize = 4;

        type Value = Self;

        #[inline]
        fn prepare(&self, _builder: &mut ::planus::Builder) -> Self {
            *self
        }

        #[inline]
        unsafe fn write_values(
            values: &[Self],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (4 * i) as u32,
                );
            }
        }
    }

    /// The table `CustomQuantization`
    ///
    /// Generated from these locations:
    /// * Table `CustomQuantization` in the file `trainer/src/tflite/schema.fbs:252`
    #[derive(
        Clone, Debug, PartialEq, PartialOrd, Eq, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
    )]
    pub struct CustomQuantization {}

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for CustomQuantization {
        fn default() -> Self {
            Self {}
        }
    }

    impl CustomQuantization {
        /// Creates a [CustomQuantizationBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> CustomQuantizationBuilder<()> {
            CustomQuantizationBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(builder: &mut ::planus::Builder) -> ::planus::Offset<Self> {
            let table_writer: ::planus::table_writer::TableWriter<4> =
                ::core::default::Default::default();
            unsafe {
                table_writer.finish(builder, |_table_writer| {});
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<CustomQuantization>> for CustomQuantization {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<CustomQuantization> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<CustomQuantization>> for CustomQuantization {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<CustomQuantization>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<CustomQuantization> for CustomQuantization {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<CustomQuantization> {
            CustomQuantization::create(builder)
        }
    }

    /// Builder for serializing an instance of the [CustomQuantization] type.
    ///
    /// Can be created using the [CustomQuantization::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct CustomQuantizationBuilder<State>(State);

    impl CustomQuantizationBuilder<()> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [CustomQuantization].
        #[inline]
        pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<CustomQuantization>
        where
            Self: ::planus::WriteAsOffset<CustomQuantization>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl ::planus::WriteAs<::planus::Offset<CustomQuantization>> for CustomQuantizationBuilder<()> {
        type Prepared = ::planus::Offset<CustomQuantization>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<CustomQuantization> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<CustomQuantization>>
        for CustomQuantizationBuilder<()>
    {
        type Prepared = ::planus::Offset<CustomQuantization>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<CustomQuantization>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<CustomQuantization> for CustomQuantizationBuilder<()> {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<CustomQuantization> {
            CustomQuantization::create(builder)
        }
    }

    /// Reference to a deserialized [CustomQuantization].
    #[derive(Copy, Clone)]
    pub struct CustomQuantizationRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> CustomQuantizationRef<'a> {}

    impl<'a> ::core::fmt::Debug for CustomQuantizationRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("CustomQuantizationRef");

            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<CustomQuantizationRef<'a>> for CustomQuantization {
        type Error = ::planus::Error;

        fn try_from(_value: CustomQuantizationRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {})
        }
    }

    impl<'a> ::planus::TableRead<'a> for CustomQuantizationRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for CustomQuantizationRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location(
                    "[CustomQuantizationRef]",
                    "get",
                    buffer.offset_from_start,
                )
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<CustomQuantization>> for CustomQuantization {
        type Value = ::planus::Offset<CustomQuantization>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<CustomQuantization>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for CustomQuantizationRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[CustomQuantizationRef]", "read_as_root", 0)
            })
        }
    }

    /// The table `BlockwiseQuantization`
    ///
    /// Generated from these locations:
    /// * Table `BlockwiseQuantization` in the file `trainer/src/tflite/schema.fbs:253`
    #[derive(
        Clone, Debug, PartialEq, PartialOrd, Eq, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
    )]
    pub struct BlockwiseQuantization {}

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for BlockwiseQuantization {
        fn default() -> Self {
            Self {}
        }
    }

    impl BlockwiseQuantization {
        /// Creates a [BlockwiseQuantizationBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> BlockwiseQuantizationBuilder<()> {
            BlockwiseQuantizationBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(builder: &mut ::planus::Builder) -> ::planus::Offset<Self> {
            let table_writer: ::planus::table_writer::TableWriter<4> =
                ::core::default::Default::default();
            unsafe {
                table_writer.finish(builder, |_table_writer| {});
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<BlockwiseQuantization>> for BlockwiseQuantization {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<BlockwiseQuantization> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<BlockwiseQuantization>> for BlockwiseQuantization {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<BlockwiseQuantization>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<BlockwiseQuantization> for BlockwiseQuantization {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<BlockwiseQuantization> {
            BlockwiseQuantization::create(builder)
        }
    }

    /// Builder for serializing an instance of the [BlockwiseQuantization] type.
    ///
    /// Can be created using the [BlockwiseQuantization::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct BlockwiseQuantizationBuilder<State>(State);

    impl BlockwiseQuantizationBuilder<()> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [BlockwiseQuantization].
        #[inline]
        pub fn finish(
            self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<BlockwiseQuantization>
        where
            Self: ::planus::WriteAsOffset<BlockwiseQuantization>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl ::planus::WriteAs<::planus::Offset<BlockwiseQuantization>>
        for BlockwiseQuantizationBuilder<()>
    {
        type Prepared = ::planus::Offset<BlockwiseQuantization>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<BlockwiseQuantization> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<BlockwiseQuantization>>
        for BlockwiseQuantizationBuilder<()>
    {
        type Prepared = ::planus::Offset<BlockwiseQuantization>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<BlockwiseQuantization>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<BlockwiseQuantization> for BlockwiseQuantizationBuilder<()> {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<BlockwiseQuantization> {
            BlockwiseQuantization::create(builder)
        }
    }

    /// Reference to a deserialized [BlockwiseQuantization].
    #[derive(Copy, Clone)]
    pub struct BlockwiseQuantizationRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> BlockwiseQuantizationRef<'a> {}

    impl<'a> ::core::fmt::Debug for BlockwiseQuantizationRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("BlockwiseQuantizationRef");

            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<BlockwiseQuantizationRef<'a>> for BlockwiseQuantization {
        type Error = ::planus::Error;

        fn try_from(_value: BlockwiseQuantizationRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {})
        }
    }

    impl<'a> ::planus::TableRead<'a> for BlockwiseQuantizationRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for BlockwiseQuantizationRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location(
                    "[BlockwiseQuantizationRef]",
                    "get",
                    buffer.offset_from_start,
                )
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<BlockwiseQuantization>>
        for BlockwiseQuantization
    {
        type Value = ::planus::Offset<BlockwiseQuantization>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<BlockwiseQuantization>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for BlockwiseQuantizationRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[BlockwiseQuantizationRef]", "read_as_root", 0)
            })
        }
    }

    /// The union `QuantizationDetails`
    ///
    /// Generated from these locations:
    /// * Union `QuantizationDetails` in the file `trainer/src/tflite/schema.fbs:255`
    #[derive(
        Clone, Debug, PartialEq, PartialOrd, Eq, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
    )]
    pub enum QuantizationDetails {
        /// The variant of type `CustomQuantization` in the union `QuantizationDetails`
        CustomQuantization(::planus::alloc::boxed::Box<self::CustomQuantization>),

        /// The variant of type `BlockwiseQuantization` in the union `QuantizationDetails`
        BlockwiseQuantization(::planus::alloc::boxed::Box<self::BlockwiseQuantization>),
    }

    impl QuantizationDetails {
        /// Creates a [QuantizationDetailsBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> QuantizationDetailsBuilder<::planus::Uninitialized> {
            QuantizationDetailsBuilder(::planus::Uninitialized)
        }

        #[inline]
        pub fn create_custom_quantization(
            builder: &mut ::planus::Builder,
            value: impl ::planus::WriteAsOffset<self::CustomQuantization>,
        ) -> ::planus::UnionOffset<Self> {
            ::planus::UnionOffset::new(1, value.prepare(builder).downcast())
        }

        #[inline]
        pub fn create_blockwise_quantization(
            builder: &mut ::planus::Builder,
            value: impl ::planus::WriteAsOffset<self::BlockwiseQuantization>,
        ) -> ::planus::UnionOffset<Self> {
            ::planus::UnionOffset::new(2, value.prepare(builder).downcast())
        }
    }

    impl ::planus::WriteAsUnion<QuantizationDetails> for QuantizationDetails {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::UnionOffset<Self> {
            match self {
                Self::CustomQuantization(value) => Self::create_custom_quantization(builder, value),
                Self::BlockwiseQuantization(value) => {
                    Self::create_blockwise_quantization(builder, value)
                }
            }
        }
    }

    impl ::planus::WriteAsOptionalUnion<QuantizationDetails> for QuantizationDetails {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::UnionOffset<Self>> {
            ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
        }
    }

    /// Builder for serializing an instance of the [QuantizationDetails] type.
    ///
    /// Can be created using the [QuantizationDetails::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct QuantizationDetailsBuilder<T>(T);

    impl QuantizationDetailsBuilder<::planus::Uninitialized> {
        /// Creates an instance of the [`CustomQuantization` variant](QuantizationDetails#variant.CustomQuantization).
        #[inline]
        pub fn custom_quantization<T>(
            self,
            value: T,
        ) -> QuantizationDetailsBuilder<::planus::Initialized<1, T>>
        where
            T: ::planus::WriteAsOffset<self::CustomQuantization>,
        {
            QuantizationDetailsBuilder(::planus::Initialized(value))
        }

        /// Creates an instance of the [`BlockwiseQuantization` variant](QuantizationDetails#variant.BlockwiseQuantization).
        #[inline]
        pub fn blockwise_quantization<T>(
            self,
            value: T,
        ) -> QuantizationDetailsBuilder<::planus::Initialized<2, T>>
        where
            T: ::planus::WriteAsOffset<self::BlockwiseQuantization>,
        {
            QuantizationDetailsBuilder(::planus::Initialized(value))
        }
    }

    impl<const N: u8, T> QuantizationDetailsBuilder<::planus::Initialized<N, T>> {
        /// Finish writing the builder to get an [UnionOffset](::planus::UnionOffset) to a serialized [QuantizationDetails].
        #[inline]
        pub fn finish(
            self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::UnionOffset<QuantizationDetails>
        where
            Self: ::planus::WriteAsUnion<QuantizationDetails>,
        {
            ::planus::WriteAsUnion::prepare(&self, builder)
        }
    }

    impl<T> ::planus::WriteAsUnion<QuantizationDetails>
        for QuantizationDetailsBuilder<::planus::Initialized<1, T>>
    where
        T: ::planus::WriteAsOffset<self::CustomQuantization>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::UnionOffset<QuantizationDetails> {
            ::planus::UnionOffset::new(1, (self.0).0.prepare(builder).downcast())
        }
    }

    impl<T> ::planus::WriteAsOptionalUnion<QuantizationDetails>
        for QuantizationDetailsBuilder<::planus::Initialized<1, T>>
    where
        T: ::planus::WriteAsOffset<self::CustomQuantization>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::UnionOffset<QuantizationDetails>> {
            ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
        }
    }
    impl<T> ::planus::WriteAsUnion<QuantizationDetails>
        for QuantizationDetailsBuilder<::planus::Initialized<2, T>>
    where
        T: ::planus::WriteAsOffset<self::BlockwiseQuantization>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::UnionOffset<QuantizationDetails> {
            ::planus::UnionOffset::new(2, (self.0).0.prepare(builder).downcast())
        }
    }

    impl<T> ::planus::WriteAsOptionalUnion<QuantizationDetails>
        for QuantizationDetailsBuilder<::planus::Initialized<2, T>>
    where
        T: ::planus::WriteAsOffset<self::BlockwiseQuantization>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::UnionOffset<QuantizationDetails>> {
            ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
        }
    }

    /// Reference to a deserialized [QuantizationDetails].
    #[derive(Copy, Clone, Debug)]
    pub enum QuantizationDetailsRef<'a> {
        CustomQuantization(self::CustomQuantizationRef<'a>),
        BlockwiseQuantization(self::BlockwiseQuantizationRef<'a>),
    }

    impl<'a> ::core::convert::TryFrom<QuantizationDetailsRef<'a>> for QuantizationDetails {
        type Error = ::planus::Error;

        fn try_from(value: QuantizationDetailsRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(match value {
                QuantizationDetailsRef::CustomQuantization(value) => Self::CustomQuantization(
                    ::planus::alloc::boxed::Box::new(::core::convert::TryFrom::try_from(value)?),
                ),

                QuantizationDetailsRef::BlockwiseQuantization(value) => {
                    Self::BlockwiseQuantization(::planus::alloc::boxed::Box::new(
                        ::core::convert::TryFrom::try_from(value)?,
                    ))
                }
            })
        }
    }

    impl<'a> ::planus::TableReadUnion<'a> for QuantizationDetailsRef<'a> {
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            tag: u8,
            field_offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            match tag {
                1 => ::core::result::Result::Ok(Self::CustomQuantization(
                    ::planus::TableRead::from_buffer(buffer, field_offset)?,
                )),
                2 => ::core::result::Result::Ok(Self::BlockwiseQuantization(
                    ::planus::TableRead::from_buffer(buffer, field_offset)?,
                )),
                _ => ::core::result::Result::Err(::planus::errors::ErrorKind::UnknownUnionTag {
                    tag,
                }),
            }
        }
    }

    impl<'a> ::planus::VectorReadUnion<'a> for QuantizationDetailsRef<'a> {
        const VECTOR_NAME: &'static str = "[QuantizationDetailsRef]";
    }

    /// The table `Conv2DOptions`
    ///
    /// Generated from these locations:
    /// * Table `Conv2DOptions` in the file `trainer/src/tflite/schema.fbs:260`
    #[derive(
        Clone, Debug, PartialEq, PartialOrd, Eq, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
    )]
    pub struct Conv2DOptions {}

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for Conv2DOptions {
        fn default() -> Self {
            Self {}
        }
    }

    impl Conv2DOptions {
        /// Creates a [Conv2DOptionsBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> Conv2DOptionsBuilder<()> {
            Conv2DOptionsBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(builder: &mut ::planus::Builder) -> ::planus::Offset<Self> {
            let table_writer: ::planus::table_writer::TableWriter<4> =
                ::core::default::Default::default();
            unsafe {
                table_writer.finish(builder, |_table_writer| {});
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<Conv2DOptions>> for Conv2DOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Conv2DOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<Conv2DOptions>> for Conv2DOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<Conv2DOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<Conv2DOptions> for Conv2DOptions {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Conv2DOptions> {
            Conv2DOptions::create(builder)
        }
    }

    /// Builder for serializing an instance of the [Conv2DOptions] type.
    ///
    /// Can be created using the [Conv2DOptions::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct Conv2DOptionsBuilder<State>(State);

    impl Conv2DOptionsBuilder<()> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [Conv2DOptions].
        #[inline]
        pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<Conv2DOptions>
        where
            Self: ::planus::WriteAsOffset<Conv2DOptions>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl ::planus::WriteAs<::planus::Offset<Conv2DOptions>> for Conv2DOptionsBuilder<()> {
        type Prepared = ::planus::Offset<Conv2DOptions>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Conv2DOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<Conv2DOptions>> for Conv2DOptionsBuilder<()> {
        type Prepared = ::planus::Offset<Conv2DOptions>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<Conv2DOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<Conv2DOptions> for Conv2DOptionsBuilder<()> {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Conv2DOptions> {
            Conv2DOptions::create(builder)
        }
    }

    /// Reference to a deserialized [Conv2DOptions].
    #[derive(Copy, Clone)]
    pub struct Conv2DOptionsRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> Conv2DOptionsRef<'a> {}

    impl<'a> ::core::fmt::Debug for Conv2DOptionsRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("Conv2DOptionsRef");

            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<Conv2DOptionsRef<'a>> for Conv2DOptions {
        type Error = ::planus::Error;

        fn try_from(_value: Conv2DOptionsRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {})
        }
    }

    impl<'a> ::planus::TableRead<'a> for Conv2DOptionsRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for Conv2DOptionsRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location(
                    "[Conv2DOptionsRef]",
                    "get",
                    buffer.offset_from_start,
                )
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<Conv2DOptions>> for Conv2DOptions {
        type Value = ::planus::Offset<Conv2DOptions>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<Conv2DOptions>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for Conv2DOptionsRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[Conv2DOptionsRef]", "read_as_root", 0)
            })
        }
    }

    /// The table `DepthwiseConv2DOptions`
    ///
    /// Generated from these locations:
    /// * Table `DepthwiseConv2DOptions` in the file `trainer/src/tflite/schema.fbs:261`
    #[derive(
        Clone, Debug, PartialEq, PartialOrd, Eq, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
    )]
    pub struct DepthwiseConv2DOptions {}

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for DepthwiseConv2DOptions {
        fn default() -> Self {
            Self {}
        }
    }

    impl DepthwiseConv2DOptions {
        /// Creates a [DepthwiseConv2DOptionsBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> DepthwiseConv2DOptionsBuilder<()> {
            DepthwiseConv2DOptionsBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(builder: &mut ::planus::Builder) -> ::planus::Offset<Self> {
            let table_writer: ::planus::table_writer::TableWriter<4> =
                ::core::default::Default::default();
            unsafe {
                table_writer.finish(builder, |_table_writer| {});
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<DepthwiseConv2DOptions>> for DepthwiseConv2DOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<DepthwiseConv2DOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<DepthwiseConv2DOptions>>
        for DepthwiseConv2DOptions
    {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<DepthwiseConv2DOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<DepthwiseConv2DOptions> for DepthwiseConv2DOptions {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<DepthwiseConv2DOptions> {
            DepthwiseConv2DOptions::create(builder)
        }
    }

    /// Builder for serializing an instance of the [DepthwiseConv2DOptions] type.
    ///
    /// Can be created using the [DepthwiseConv2DOptions::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct DepthwiseConv2DOptionsBuilder<State>(State);

    impl DepthwiseConv2DOptionsBuilder<()> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [DepthwiseConv2DOptions].
        #[inline]
        pub fn finish(
            self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<DepthwiseConv2DOptions>
        where
            Self: ::planus::WriteAsOffset<DepthwiseConv2DOptions>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl ::planus::WriteAs<::planus::Offset<DepthwiseConv2DOptions>>
        for DepthwiseConv2DOptionsBuilder<()>
    {
        type Prepared = ::planus::Offset<DepthwiseConv2DOptions>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<DepthwiseConv2DOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<DepthwiseConv2DOptions>>
        for DepthwiseConv2DOptionsBuilder<()>
    {
        type Prepared = ::planus::Offset<DepthwiseConv2DOptions>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<DepthwiseConv2DOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<DepthwiseConv2DOptions> for DepthwiseConv2DOptionsBuilder<()> {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<DepthwiseConv2DOptions> {
            DepthwiseConv2DOptions::create(builder)
        }
    }

    /// Reference to a deserialized [DepthwiseConv2DOptions].
    #[derive(Copy, Clone)]
    pub struct DepthwiseConv2DOptionsRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> DepthwiseConv2DOptionsRef<'a> {}

    impl<'a> ::core::fmt::Debug for DepthwiseConv2DOptionsRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("DepthwiseConv2DOptionsRef");

            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<DepthwiseConv2DOptionsRef<'a>> for DepthwiseConv2DOptions {
        type Error = ::planus::Error;

        fn try_from(_value: DepthwiseConv2DOptionsRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {})
        }
    }

    impl<'a> ::planus::TableRead<'a> for DepthwiseConv2DOptionsRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for DepthwiseConv2DOptionsRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location(
                    "[DepthwiseConv2DOptionsRef]",
                    "get",
                    buffer.offset_from_start,
                )
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<DepthwiseConv2DOptions>>
        for DepthwiseConv2DOptions
    {
        type Value = ::planus::Offset<DepthwiseConv2DOptions>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<DepthwiseConv2DOptions>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for DepthwiseConv2DOptionsRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[DepthwiseConv2DOptionsRef]", "read_as_root", 0)
            })
        }
    }

    /// The table `ConcatEmbeddingsOptions`
    ///
    /// Generated from these locations:
    /// * Table `ConcatEmbeddingsOptions` in the file `trainer/src/tflite/schema.fbs:262`
    #[derive(
        Clone, Debug, PartialEq, PartialOrd, Eq, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
    )]
    pub struct ConcatEmbeddingsOptions {}

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for ConcatEmbeddingsOptions {
        fn default() -> Self {
            Self {}
        }
    }

    impl ConcatEmbeddingsOptions {
        /// Creates a [ConcatEmbeddingsOptionsBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> ConcatEmbeddingsOptionsBuilder<()> {
            ConcatEmbeddingsOptionsBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(builder: &mut ::planus::Builder) -> ::planus::Offset<Self> {
            let table_writer: ::planus::table_writer::TableWriter<4> =
                ::core::default::Default::default();
            unsafe {
                table_writer.finish(builder, |_table_writer| {});
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<ConcatEmbeddingsOptions>> for ConcatEmbeddingsOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<ConcatEmbeddingsOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<ConcatEmbeddingsOptions>>
        for ConcatEmbeddingsOptions
    {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<ConcatEmbeddingsOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<ConcatEmbeddingsOptions> for ConcatEmbeddingsOptions {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<ConcatEmbeddingsOptions> {
            ConcatEmbeddingsOptions::create(builder)
        }
    }

    /// Builder for serializing an instance of the [ConcatEmbeddingsOptions] type.
    ///
    /// Can be created using the [ConcatEmbeddingsOptions::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct ConcatEmbeddingsOptionsBuilder<State>(State);

    impl ConcatEmbeddingsOptionsBuilder<()> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [ConcatEmbeddingsOptions].
        #[inline]
        pub fn finish(
            self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<ConcatEmbeddingsOptions>
        where
            Self: ::planus::WriteAsOffset<ConcatEmbeddingsOptions>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl ::planus::WriteAs<::planus::Offset<ConcatEmbeddingsOptions>>
        for ConcatEmbeddingsOptionsBuilder<()>
    {
        type Prepared = ::planus::Offset<ConcatEmbeddingsOptions>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<ConcatEmbeddingsOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<ConcatEmbeddingsOptions>>
        for ConcatEmbeddingsOptionsBuilder<()>
    {
        type Prepared = ::planus::Offset<ConcatEmbeddingsOptions>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<ConcatEmbeddingsOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<ConcatEmbeddingsOptions> for ConcatEmbeddingsOptionsBuilder<()> {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<ConcatEmbeddingsOptions> {
            ConcatEmbeddingsOptions::create(builder)
        }
    }

    /// Reference to a deserialized [ConcatEmbeddingsOptions].
    #[derive(Copy, Clone)]
    pub struct ConcatEmbeddingsOptionsRef<'a>(
        #[allow(dead_code)] ::planus::table_reader::Table<'a>,
    );

    impl<'a> ConcatEmbeddingsOptionsRef<'a> {}

    impl<'a> ::core::fmt::Debug for ConcatEmbeddingsOptionsRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("ConcatEmbeddingsOptionsRef");

            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<ConcatEmbeddingsOptionsRef<'a>> for ConcatEmbeddingsOptions {
        type Error = ::planus::Error;

        fn try_from(_value: ConcatEmbeddingsOptionsRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {})
        }
    }

    impl<'a> ::planus::TableRead<'a> for ConcatEmbeddingsOptionsRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for ConcatEmbeddingsOptionsRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location(
                    "[ConcatEmbeddingsOptionsRef]",
                    "get",
                    buffer.offset_from_start,
                )
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<ConcatEmbeddingsOptions>>
        for ConcatEmbeddingsOptions
    {
        type Value = ::planus::Offset<ConcatEmbeddingsOptions>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<ConcatEmbeddingsOptions>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for ConcatEmbeddingsOptionsRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[ConcatEmbeddingsOptionsRef]", "read_as_root", 0)
            })
        }
    }

    /// The table `LSHProjectionOptions`
    ///
    /// Generated from these locations:
    /// * Table `LSHProjectionOptions` in the file `trainer/src/tflite/schema.fbs:263`
    #[derive(
        Clone, Debug, PartialEq, PartialOrd, Eq, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
    )]
    pub struct LshProjectionOptions {}

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for LshProjectionOptions {
        fn default() -> Self {
            Self {}
        }
    }

    impl LshProjectionOptions {
        /// Creates a [LshProjectionOptionsBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> LshProjectionOptionsBuilder<()> {
            LshProjectionOptionsBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(builder: &mut ::planus::Builder) -> ::planus::Offset<Self> {
            let table_writer: ::planus::table_writer::TableWriter<4> =
                ::core::default::Default::default();
            unsafe {
                table_writer.finish(builder, |_table_writer| {});
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<LshProjectionOptions>> for LshProjectionOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<LshProjectionOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<LshProjectionOptions>> for LshProjectionOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<LshProjectionOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<LshProjectionOptions> for LshProjectionOptions {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<LshProjectionOptions> {
            LshProjectionOptions::create(builder)
        }
    }

    /// Builder for serializing an instance of the [LshProjectionOptions] type.
    ///
    /// Can be created using the [LshProjectionOptions::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct LshProjectionOptionsBuilder<State>(State);

    impl LshProjectionOptionsBuilder<()> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [LshProjectionOptions].
        #[inline]
        pub fn finish(
            self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<LshProjectionOptions>
        where
            Self: ::planus::WriteAsOffset<LshProjectionOptions>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl ::planus::WriteAs<::planus::Offset<LshProjectionOptions>> for LshProjectionOptionsBuilder<()> {
        type Prepared = ::planus::Offset<LshProjectionOptions>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<LshProjectionOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<LshProjectionOptions>>
        for LshProjectionOptionsBuilder<()>
    {
        type Prepared = ::planus::Offset<LshProjectionOptions>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<LshProjectionOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<LshProjectionOptions> for LshProjectionOptionsBuilder<()> {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<LshProjectionOptions> {
            LshProjectionOptions::create(builder)
        }
    }

    /// Reference to a deserialized [LshProjectionOptions].
    #[derive(Copy, Clone)]
    pub struct LshProjectionOptionsRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> LshProjectionOptionsRef<'a> {}

    impl<'a> ::core::fmt::Debug for LshProjectionOptionsRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("LshProjectionOptionsRef");

            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<LshProjectionOptionsRef<'a>> for LshProjectionOptions {
        type Error = ::planus::Error;

        fn try_from(_value: LshProjectionOptionsRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {})
        }
    }

    impl<'a> ::planus::TableRead<'a> for LshProjectionOptionsRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for LshProjectionOptionsRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location(
                    "[LshProjectionOptionsRef]",
                    "get",
                    buffer.offset_from_start,
                )
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<LshProjectionOptions>> for LshProjectionOptions {
        type Value = ::planus::Offset<LshProjectionOptions>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<LshProjectionOptions>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for LshProjectionOptionsRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[LshProjectionOptionsRef]", "read_as_root", 0)
            })
        }
    }

    /// The table `Pool2DOptions`
    ///
    /// Generated from these locations:
    /// * Table `Pool2DOptions` in the file `trainer/src/tflite/schema.fbs:264`
    #[derive(
        Clone, Debug, PartialEq, PartialOrd, Eq, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
    )]
    pub struct Pool2DOptions {}

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for Pool2DOptions {
        fn default() -> Self {
            Self {}
        }
    }

    impl Pool2DOptions {
        /// Creates a [Pool2DOptionsBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> Pool2DOptionsBuilder<()> {
            Pool2DOptionsBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(builder: &mut ::planus::Builder) -> ::planus::Offset<Self> {
            let table_writer: ::planus::table_writer::TableWriter<4> =
                ::core::default::Default::default();
            unsafe {
                table_writer.finish(builder, |_table_writer| {});
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<Pool2DOptions>> for Pool2DOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Pool2DOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<Pool2DOptions>> for Pool2DOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<Pool2DOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<Pool2DOptions> for Pool2DOptions {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Pool2DOptions> {
            Pool2DOptions::create(builder)
        }
    }

    /// Builder for serializing an instance of the [Pool2DOptions] type.
    ///
    /// Can be created using the [Pool2DOptions::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct Pool2DOptionsBuilder<State>(State);

    impl Pool2DOptionsBuilder<()> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [Pool2DOptions].
        #[inline]
        pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<Pool2DOptions>
        where
            Self: ::planus::WriteAsOffset<Pool2DOptions>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl ::planus::WriteAs<::planus::Offset<Pool2DOptions>> for Pool2DOptionsBuilder<()> {
        type Prepared = ::planus::Offset<Pool2DOptions>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Pool2DOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<Pool2DOptions>> for Pool2DOptionsBuilder<()> {
        type Prepared = ::planus::Offset<Pool2DOptions>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<Pool2DOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<Pool2DOptions> for Pool2DOptionsBuilder<()> {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Pool2DOptions> {
            Pool2DOptions::create(builder)
        }
    }

    /// Reference to a deserialized [Pool2DOptions].
    #[derive(Copy, Clone)]
    pub struct Pool2DOptionsRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> Pool2DOptionsRef<'a> {}

    impl<'a> ::core::fmt::Debug for Pool2DOptionsRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("Pool2DOptionsRef");

            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<Pool2DOptionsRef<'a>> for Pool2DOptions {
        type Error = ::planus::Error;

        fn try_from(_value: Pool2DOptionsRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {})
        }
    }

    impl<'a> ::planus::TableRead<'a> for Pool2DOptionsRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for Pool2DOptionsRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location(
                    "[Pool2DOptionsRef]",
                    "get",
                    buffer.offset_from_start,
                )
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<Pool2DOptions>> for Pool2DOptions {
        type Value = ::planus::Offset<Pool2DOptions>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<Pool2DOptions>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for Pool2DOptionsRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[Pool2DOptionsRef]", "read_as_root", 0)
            })
        }
    }

    /// The table `SVDFOptions`
    ///
    /// Generated from these locations:
    /// * Table `SVDFOptions` in the file `trainer/src/tflite/schema.fbs:265`
    #[derive(
        Clone, Debug, PartialEq, PartialOrd, Eq, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
    )]
    pub struct SvdfOptions {}

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for SvdfOptions {
        fn default() -> Self {
            Self {}
        }
    }

    impl SvdfOptions {
        /// Creates a [SvdfOptionsBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> SvdfOptionsBuilder<()> {
            SvdfOptionsBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(builder: &mut ::planus::Builder) -> ::planus::Offset<Self> {
            let table_writer: ::planus::table_writer::TableWriter<4> =
                ::core::default::Default::default();
            unsafe {
                table_writer.finish(builder, |_table_writer| {});
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<SvdfOptions>> for SvdfOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<SvdfOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<SvdfOptions>> for SvdfOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<SvdfOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<SvdfOptions> for SvdfOptions {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<SvdfOptions> {
            SvdfOptions::create(builder)
        }
    }

    /// Builder for serializing an instance of the [SvdfOptions] type.
    ///
    /// Can be created using the [SvdfOptions::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct SvdfOptionsBuilder<State>(State);

    impl SvdfOptionsBuilder<()> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [SvdfOptions].
        #[inline]
        pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<SvdfOptions>
        where
            Self: ::planus::WriteAsOffset<SvdfOptions>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl ::planus::WriteAs<::planus::Offset<SvdfOptions>> for SvdfOptionsBuilder<()> {
        type Prepared = ::planus::Offset<SvdfOptions>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<SvdfOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<SvdfOptions>> for SvdfOptionsBuilder<()> {
        type Prepared = ::planus::Offset<SvdfOptions>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<SvdfOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<SvdfOptions> for SvdfOptionsBuilder<()> {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<SvdfOptions> {
            SvdfOptions::create(builder)
        }
    }

    /// Reference to a deserialized [SvdfOptions].
    #[derive(Copy, Clone)]
    pub struct SvdfOptionsRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> SvdfOptionsRef<'a> {}

    impl<'a> ::core::fmt::Debug for SvdfOptionsRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("SvdfOptionsRef");

            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<SvdfOptionsRef<'a>> for SvdfOptions {
        type Error = ::planus::Error;

        fn try_from(_value: SvdfOptionsRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {})
        }
    }

    impl<'a> ::planus::TableRead<'a> for SvdfOptionsRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for SvdfOptionsRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location("[SvdfOptionsRef]", "get", buffer.offset_from_start)
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<SvdfOptions>> for SvdfOptions {
        type Value = ::planus::Offset<SvdfOptions>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<SvdfOptions>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for SvdfOptionsRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[SvdfOptionsRef]", "read_as_root", 0)
            })
        }
    }

    /// The table `RNNOptions`
    ///
    /// Generated from these locations:
    /// * Table `RNNOptions` in the file `trainer/src/tflite/schema.fbs:266`
    #[derive(
        Clone, Debug, PartialEq, PartialOrd, Eq, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
    )]
    pub struct RnnOptions {}

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for RnnOptions {
        fn default() -> Self {
            Self {}
        }
    }

    impl RnnOptions {
        /// Creates a [RnnOptionsBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> RnnOptionsBuilder<()> {
            RnnOptionsBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(builder: &mut ::planus::Builder) -> ::planus::Offset<Self> {
            let table_writer: ::planus::table_writer::TableWriter<4> =
                ::core::default::Default::default();
            unsafe {
                table_writer.finish(builder, |_table_writer| {});
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<RnnOptions>> for RnnOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<RnnOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<RnnOptions>> for RnnOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<RnnOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<RnnOptions> for RnnOptions {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<RnnOptions> {
            RnnOptions::create(builder)
        }
    }

    /// Builder for serializing an instance of the [RnnOptions] type.
    ///
    /// Can be created using the [RnnOptions::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct RnnOptionsBuilder<State>(State);

    impl RnnOptionsBuilder<()> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [RnnOptions].
        #[inline]
        pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<RnnOptions>
        where
            Self: ::planus::WriteAsOffset<RnnOptions>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl ::planus::WriteAs<::planus::Offset<RnnOptions>> for RnnOptionsBuilder<()> {
        type Prepared = ::planus::Offset<RnnOptions>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<RnnOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<RnnOptions>> for RnnOptionsBuilder<()> {
        type Prepared = ::planus::Offset<RnnOptions>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<RnnOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<RnnOptions> for RnnOptionsBuilder<()> {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<RnnOptions> {
            RnnOptions::create(builder)
        }
    }

    /// Reference to a deserialized [RnnOptions].
    #[derive(Copy, Clone)]
    pub struct RnnOptionsRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> RnnOptionsRef<'a> {}

    impl<'a> ::core::fmt::Debug for RnnOptionsRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("RnnOptionsRef");

            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<RnnOptionsRef<'a>> for RnnOptions {
        type Error = ::planus::Error;

        fn try_from(_value: RnnOptionsRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {})
        }
    }

    impl<'a> ::planus::TableRead<'a> for RnnOptionsRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for RnnOptionsRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location("[RnnOptionsRef]", "get", buffer.offset_from_start)
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<RnnOptions>> for RnnOptions {
        type Value = ::planus::Offset<RnnOptions>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<RnnOptions>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for RnnOptionsRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[RnnOptionsRef]", "read_as_root", 0)
            })
        }
    }

    /// The union `BuiltinOptions`
    ///
    /// Generated from these locations:
    /// * Union `BuiltinOptions` in the file `trainer/src/tflite/schema.fbs:268`
    #[derive(Clone, Debug, PartialEq, PartialOrd, ::serde::Serialize, ::serde::Deserialize)]
    pub enum BuiltinOptions {
        /// The variant of type `Conv2DOptions` in the union `BuiltinOptions`
        Conv2DOptions(::planus::alloc::boxed::Box<self::Conv2DOptions>),

        /// The variant of type `DepthwiseConv2DOptions` in the union `BuiltinOptions`
        DepthwiseConv2DOptions(::planus::alloc::boxed::Box<self::DepthwiseConv2DOptions>),

        /// The variant of type `ConcatEmbeddingsOptions` in the union `BuiltinOptions`
        ConcatEmbeddingsOptions(::planus::alloc::boxed::Box<self::ConcatEmbeddingsOptions>),

        /// The variant of type `LSHProjectionOptions` in the union `BuiltinOptions`
        LshProjectionOptions(::planus::alloc::boxed::Box<self::LshProjectionOptions>),

        /// The variant of type `Pool2DOptions` in the union `BuiltinOptions`
        Pool2DOptions(::planus::alloc::boxed::Box<self::Pool2DOptions>),

        /// The variant of type `SVDFOptions` in the union `BuiltinOptions`
        SvdfOptions(::planus::alloc::boxed::Box<self::SvdfOptions>),

        /// The variant of type `RNNOptions` in the union `BuiltinOptions`
        RnnOptions(::planus::alloc::boxed::Box<self::RnnOptions>),

        /// The variant of type `FullyConnectedOptions` in the union `BuiltinOptions`
        FullyConnectedOptions(::planus::alloc::boxed::Box<self::FullyConnectedOptions>),

        /// The variant of type `SoftmaxOptions` in the union `BuiltinOptions`
        SoftmaxOptions(::planus::alloc::boxed::Box<self::SoftmaxOptions>),
    }

    impl BuiltinOptions {
        /// Creates a [BuiltinOptionsBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> BuiltinOptionsBuilder<::planus::Uninitialized> {
            BuiltinOptionsBuilder(::planus::Uninitialized)
        }

        #[inline]
        pub fn create_conv2_d_options(
            builder: &mut ::planus::Builder,
            value: impl ::planus::WriteAsOffset<self::Conv2DOptions>,
        ) -> ::planus::UnionOffset<Self> {
            ::planus::UnionOffset::new(1, value.prepare(builder).downcast())
        }

        #[inline]
        pub fn create_depthwise_conv2_d_options(
            builder: &mut ::planus::Builder,
            value: impl ::planus::WriteAsOffset<self::DepthwiseConv2DOptions>,
        ) -> ::planus::UnionOffset<Self> {
            ::planus::UnionOffset::new(2, value.prepare(builder).downcast())
        }

        #[inline]
        pub fn create_concat_embeddings_options(
            builder: &mut ::planus::Builder,
            value: impl ::planus::WriteAsOffset<self::ConcatEmbeddingsOptions>,
        ) -> ::planus::UnionOffset<Self> {
            ::planus::UnionOffset::new(3, value.prepare(builder).downcast())
        }

        #[inline]
        pub fn create_lsh_projection_options(
            builder: &mut ::planus::Builder,
            value: impl ::planus::WriteAsOffset<self::LshProjectionOptions>,
        ) -> ::planus::UnionOffset<Self> {
            ::planus::UnionOffset::new(4, value.prepare(builder).downcast())
        }

        #[inline]
        pub fn create_pool2_d_options(
            builder: &mut ::planus::Builder,
            value: impl ::planus::WriteAsOffset<self::Pool2DOptions>,
        ) -> ::planus::UnionOffset<Self> {
            ::planus::UnionOffset::new(5, value.prepare(builder).downcast())
        }

        #[inline]
        pub fn create_svdf_options(
            builder: &mut ::planus::Builder,
            value: impl ::planus::WriteAsOffset<self::SvdfOptions>,
        ) -> ::planus::UnionOffset<Self> {
            ::planus::UnionOffset::new(6, value.prepare(builder).downcast())
        }

        #[inline]
        pub fn create_rnn_options(
            builder: &mut ::planus::Builder,
            value: impl ::planus::WriteAsOffset<self::RnnOptions>,
        ) -> ::planus::UnionOffset<Self> {
            ::planus::UnionOffset::new(7, value.prepare(builder).downcast())
        }

        #[inline]
        pub fn create_fully_connected_options(
            builder: &mut ::planus::Builder,
            value: impl ::planus::WriteAsOffset<self::FullyConnectedOptions>,
        ) -> ::planus::UnionOffset<Self> {
            ::planus::UnionOffset::new(8, value.prepare(builder).downcast())
        }

        #[inline]
        pub fn create_softmax_options(
            builder: &mut ::planus::Builder,
            value: impl ::planus::WriteAsOffset<self::SoftmaxOptions>,
        ) -> ::planus::UnionOffset<Self> {
            ::planus::UnionOffset::new(9, value.prepare(builder).downcast())
        }
    }

    impl ::planus::WriteAsUnion<BuiltinOptions> for BuiltinOptions {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::UnionOffset<Self> {
            match self {
                Self::Conv2DOptions(value) => Self::create_conv2_d_options(builder, value),
                Self::DepthwiseConv2DOptions(value) => {
                    Self::create_depthwise_conv2_d_options(builder, value)
                }
                Self::ConcatEmbeddingsOptions(value) => {
                    Self::create_concat_embeddings_options(builder, value)
                }
                Self::LshProjectionOptions(value) => {
                    Self::create_lsh_projection_options(builder, value)
                }
                Self::Pool2DOptions(value) => Self::create_pool2_d_options(builder, value),
                Self::SvdfOptions(value) => Self::create_svdf_options(builder, value),
                Self::RnnOptions(value) => Self::create_rnn_options(builder, value),
                Self::FullyConnectedOptions(value) => {
                    Self::create_fully_connected_options(builder, value)
                }
                Self::SoftmaxOptions(value) => Self::create_softmax_options(builder, value),
            }
        }
    }

    impl ::planus::WriteAsOptionalUnion<BuiltinOptions> for BuiltinOptions {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::UnionOffset<Self>> {
            ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
        }
    }

    /// Builder for serializing an instance of the [BuiltinOptions] type.
    ///
    /// Can be created using the [BuiltinOptions::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct BuiltinOptionsBuilder<T>(T);

    impl BuiltinOptionsBuilder<::planus::Uninitialized> {
        /// Creates an instance of the [`Conv2DOptions` variant](BuiltinOptions#variant.Conv2DOptions).
        #[inline]
        pub fn conv2_d_options<T>(
            self,
            value: T,
        ) -> BuiltinOptionsBuilder<::planus::Initialized<1, T>>
        where
            T: ::planus::WriteAsOffset<self::Conv2DOptions>,
        {
            BuiltinOptionsBuilder(::planus::Initialized(value))
        }

        /// Creates an instance of the [`DepthwiseConv2DOptions` variant](BuiltinOptions#variant.DepthwiseConv2DOptions).
        #[inline]
        pub fn depthwise_conv2_d_options<T>(
            self,
            value: T,
        ) -> BuiltinOptionsBuilder<::planus::Initialized<2, T>>
        where
            T: ::planus::WriteAsOffset<self::DepthwiseConv2DOptions>,
        {
            BuiltinOptionsBuilder(::planus::Initialized(value))
        }

        /// Creates an instance of the [`ConcatEmbeddingsOptions` variant](BuiltinOptions#variant.ConcatEmbeddingsOptions).
        #[inline]
        pub fn concat_embeddings_options<T>(
            self,
            value: T,
        ) -> BuiltinOptionsBuilder<::planus::Initialized<3, T>>
        where
            T: ::planus::WriteAsOffset<self::ConcatEmbeddingsOptions>,
        {
            BuiltinOptionsBuilder(::planus::Initialized(value))
        }

        /// Creates an instance of the [`LSHProjectionOptions` variant](BuiltinOptions#variant.LshProjectionOptions).
        #[inline]
        pub fn lsh_projection_options<T>(
            self,
            value: T,
        ) -> BuiltinOptionsBuilder<::planus::Initialized<4, T>>
        where
            T: ::planus::WriteAsOffset<self::LshProjectionOptions>,
        {
            BuiltinOptionsBuilder(::planus::Initialized(value))
        }

        /// Creates an instance of the [`Pool2DOptions` variant](BuiltinOptions#variant.Pool2DOptions).
        #[inline]
        pub fn pool2_d_options<T>(
            self,
            value: T,
        ) -> BuiltinOptionsBuilder<::planus::Initialized<5, T>>
        where
            T: ::planus::WriteAsOffset<self::Pool2DOptions>,
        {
            BuiltinOptionsBuilder(::planus::Initialized(value))
        }

        /// Creates an instance of the [`SVDFOptions` variant](BuiltinOptions#variant.SvdfOptions).
        #[inline]
        pub fn svdf_options<T>(self, value: T) -> BuiltinOptionsBuilder<::planus::Initialized<6, T>>
        where
            T: ::planus::WriteAsOffset<self::SvdfOptions>,
        {
            BuiltinOptionsBuilder(::planus::Initialized(value))
        }

        /// Creates an instance of the [`RNNOptions` variant](BuiltinOptions#variant.RnnOptions).
        #[inline]
        pub fn rnn_options<T>(self, value: T) -> BuiltinOptionsBuilder<::planus::Initialized<7, T>>
        where
            T: ::planus::WriteAsOffset<self::RnnOptions>,
        {
            BuiltinOptionsBuilder(::planus::Initialized(value))
        }

        /// Creates an instance of the [`FullyConnectedOptions` variant](BuiltinOptions#variant.FullyConnectedOptions).
        #[inline]
        pub fn fully_connected_options<T>(
            self,
            value: T,
        ) -> BuiltinOptionsBuilder<::planus::Initialized<8, T>>
        where
            T: ::planus::WriteAsOffset<self::FullyConnectedOptions>,
        {
            BuiltinOptionsBuilder(::planus::Initialized(value))
        }

        /// Creates an instance of the [`SoftmaxOptions` variant](BuiltinOptions#variant.SoftmaxOptions).
        #[inline]
        pub fn softmax_options<T>(
            self,
            value: T,
        ) -> BuiltinOptionsBuilder<::planus::Initialized<9, T>>
        where
            T: ::planus::WriteAsOffset<self::SoftmaxOptions>,
        {
            BuiltinOptionsBuilder(::planus::Initialized(value))
        }
    }

    impl<const N: u8, T> BuiltinOptionsBuilder<::planus::Initialized<N, T>> {
        /// Finish writing the builder to get an [UnionOffset](::planus::UnionOffset) to a serialized [BuiltinOptions].
        #[inline]
        pub fn finish(
            self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::UnionOffset<BuiltinOptions>
        where
            Self: ::planus::WriteAsUnion<BuiltinOptions>,
        {
            ::planus::WriteAsUnion::prepare(&self, builder)
        }
    }

    impl<T> ::planus::WriteAsUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<1, T>>
    where
        T: ::planus::WriteAsOffset<self::Conv2DOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::UnionOffset<BuiltinOptions> {
            ::planus::UnionOffset::new(1, (self.0).0.prepare(builder).downcast())
        }
    }

    impl<T> ::planus::WriteAsOptionalUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<1, T>>
    where
        T: ::planus::WriteAsOffset<self::Conv2DOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::UnionOffset<BuiltinOptions>> {
            ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
        }
    }
    impl<T> ::planus::WriteAsUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<2, T>>
    where
        T: ::planus::WriteAsOffset<self::DepthwiseConv2DOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::UnionOffset<BuiltinOptions> {
            ::planus::UnionOffset::new(2, (self.0).0.prepare(builder).downcast())
        }
    }

    impl<T> ::planus::WriteAsOptionalUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<2, T>>
    where
        T: ::planus::WriteAsOffset<self::DepthwiseConv2DOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::UnionOffset<BuiltinOptions>> {
            ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
        }
    }
    impl<T> ::planus::WriteAsUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<3, T>>
    where
        T: ::planus::WriteAsOffset<self::ConcatEmbeddingsOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::UnionOffset<BuiltinOptions> {
            ::planus::UnionOffset::new(3, (self.0).0.prepare(builder).downcast())
        }
    }

    impl<T> ::planus::WriteAsOptionalUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<3, T>>
    where
        T: ::planus::WriteAsOffset<self::ConcatEmbeddingsOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::UnionOffset<BuiltinOptions>> {
            ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
        }
    }
    impl<T> ::planus::WriteAsUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<4, T>>
    where
        T: ::planus::WriteAsOffset<self::LshProjectionOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::UnionOffset<BuiltinOptions> {
            ::planus::UnionOffset::new(4, (self.0).0.prepare(builder).downcast())
        }
    }

    impl<T> ::planus::WriteAsOptionalUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<4, T>>
    where
        T: ::planus::WriteAsOffset<self::LshProjectionOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::UnionOffset<BuiltinOptions>> {
            ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
        }
    }
    impl<T> ::planus::WriteAsUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<5, T>>
    where
        T: ::planus::WriteAsOffset<self::Pool2DOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::UnionOffset<BuiltinOptions> {
            ::planus::UnionOffset::new(5, (self.0).0.prepare(builder).downcast())
        }
    }

    impl<T> ::planus::WriteAsOptionalUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<5, T>>
    where
        T: ::planus::WriteAsOffset<self::Pool2DOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::UnionOffset<BuiltinOptions>> {
            ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
        }
    }
    impl<T> ::planus::WriteAsUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<6, T>>
    where
        T: ::planus::WriteAsOffset<self::SvdfOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::UnionOffset<BuiltinOptions> {
            ::planus::UnionOffset::new(6, (self.0).0.prepare(builder).downcast())
        }
    }

    impl<T> ::planus::WriteAsOptionalUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<6, T>>
    where
        T: ::planus::WriteAsOffset<self::SvdfOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::UnionOffset<BuiltinOptions>> {
            ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
        }
    }
    impl<T> ::planus::WriteAsUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<7, T>>
    where
        T: ::planus::WriteAsOffset<self::RnnOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::UnionOffset<BuiltinOptions> {
            ::planus::UnionOffset::new(7, (self.0).0.prepare(builder).downcast())
        }
    }

    impl<T> ::planus::WriteAsOptionalUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<7, T>>
    where
        T: ::planus::WriteAsOffset<self::RnnOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::UnionOffset<BuiltinOptions>> {
            ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
        }
    }
    impl<T> ::planus::WriteAsUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<8, T>>
    where
        T: ::planus::WriteAsOffset<self::FullyConnectedOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::UnionOffset<BuiltinOptions> {
            ::planus::UnionOffset::new(8, (self.0).0.prepare(builder).downcast())
        }
    }

    impl<T> ::planus::WriteAsOptionalUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<8, T>>
    where
        T: ::planus::WriteAsOffset<self::FullyConnectedOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::UnionOffset<BuiltinOptions>> {
            ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
        }
    }
    impl<T> ::planus::WriteAsUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<9, T>>
    where
        T: ::planus::WriteAsOffset<self::SoftmaxOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::UnionOffset<BuiltinOptions> {
            ::planus::UnionOffset::new(9, (self.0).0.prepare(builder).downcast())
        }
    }

    impl<T> ::planus::WriteAsOptionalUnion<BuiltinOptions>
        for BuiltinOptionsBuilder<::planus::Initialized<9, T>>
    where
        T: ::planus::WriteAsOffset<self::SoftmaxOptions>,
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::UnionOffset<BuiltinOptions>> {
            ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
        }
    }

    /// Reference to a deserialized [BuiltinOptions].
    #[derive(Copy, Clone, Debug)]
    pub enum BuiltinOptionsRef<'a> {
        Conv2DOptions(self::Conv2DOptionsRef<'a>),
        DepthwiseConv2DOptions(self::DepthwiseConv2DOptionsRef<'a>),
        ConcatEmbeddingsOptions(self::ConcatEmbeddingsOptionsRef<'a>),
        LshProjectionOptions(self::LshProjectionOptionsRef<'a>),
        Pool2DOptions(self::Pool2DOptionsRef<'a>),
        SvdfOptions(self::SvdfOptionsRef<'a>),
        RnnOptions(self::RnnOptionsRef<'a>),
        FullyConnectedOptions(self::FullyConnectedOptionsRef<'a>),
        SoftmaxOptions(self::SoftmaxOptionsRef<'a>),
    }

    impl<'a> ::core::convert::TryFrom<BuiltinOptionsRef<'a>> for BuiltinOptions {
        type Error = ::planus::Error;

        fn try_from(value: BuiltinOptionsRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(match value {
                BuiltinOptionsRef::Conv2DOptions(value) => Self::Conv2DOptions(
                    ::planus::alloc::boxed::Box::new(::core::convert::TryFrom::try_from(value)?),
                ),

                BuiltinOptionsRef::DepthwiseConv2DOptions(value) => Self::DepthwiseConv2DOptions(
                    ::planus::alloc::boxed::Box::new(::core::convert::TryFrom::try_from(value)?),
                ),

                BuiltinOptionsRef::ConcatEmbeddingsOptions(value) => Self::ConcatEmbeddingsOptions(
                    ::planus::alloc::boxed::Box::new(::core::convert::TryFrom::try_from(value)?),
                ),

                BuiltinOptionsRef::LshProjectionOptions(value) => Self::LshProjectionOptions(
                    ::planus::alloc::boxed::Box::new(::core::convert::TryFrom::try_from(value)?),
                ),

                BuiltinOptionsRef::Pool2DOptions(value) => Self::Pool2DOptions(
                    ::planus::alloc::boxed::Box::new(::core::convert::TryFrom::try_from(value)?),
                ),

                BuiltinOptionsRef::SvdfOptions(value) => Self::SvdfOptions(
                    ::planus::alloc::boxed::Box::new(::core::convert::TryFrom::try_from(value)?),
                ),

                BuiltinOptionsRef::RnnOptions(value) => Self::RnnOptions(
                    ::planus::alloc::boxed::Box::new(::core::convert::TryFrom::try_from(value)?),
                ),

                BuiltinOptionsRef::FullyConnectedOptions(value) => Self::FullyConnectedOptions(
                    ::planus::alloc::boxed::Box::new(::core::convert::TryFrom::try_from(value)?),
                ),

                BuiltinOptionsRef::SoftmaxOptions(value) => Self::SoftmaxOptions(
                    ::planus::alloc::boxed::Box::new(::core::convert::TryFrom::try_from(value)?),
                ),
            })
        }
    }

    impl<'a> ::planus::TableReadUnion<'a> for BuiltinOptionsRef<'a> {
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            tag: u8,
            field_offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            match tag {
                1 => ::core::result::Result::Ok(Self::Conv2DOptions(
                    ::planus::TableRead::from_buffer(buffer, field_offset)?,
                )),
                2 => ::core::result::Result::Ok(Self::DepthwiseConv2DOptions(
                    ::planus::TableRead::from_buffer(buffer, field_offset)?,
                )),
                3 => ::core::result::Result::Ok(Self::ConcatEmbeddingsOptions(
                    ::planus::TableRead::from_buffer(buffer, field_offset)?,
                )),
                4 => ::core::result::Result::Ok(Self::LshProjectionOptions(
                    ::planus::TableRead::from_buffer(buffer, field_offset)?,
                )),
                5 => ::core::result::Result::Ok(Self::Pool2DOptions(
                    ::planus::TableRead::from_buffer(buffer, field_offset)?,
                )),
                6 => ::core::result::Result::Ok(Self::SvdfOptions(
                    ::planus::TableRead::from_buffer(buffer, field_offset)?,
                )),
                7 => ::core::result::Result::Ok(Self::RnnOptions(
                    ::planus::TableRead::from_buffer(buffer, field_offset)?,
                )),
                8 => ::core::result::Result::Ok(Self::FullyConnectedOptions(
                    ::planus::TableRead::from_buffer(buffer, field_offset)?,
                )),
                9 => ::core::result::Result::Ok(Self::SoftmaxOptions(
                    ::planus::TableRead::from_buffer(buffer, field_offset)?,
                )),
                _ => ::core::result::Result::Err(::planus::errors::ErrorKind::UnknownUnionTag {
                    tag,
                }),
            }
        }
    }

    impl<'a> ::planus::VectorReadUnion<'a> for BuiltinOptionsRef<'a> {
        const VECTOR_NAME: &'static str = "[BuiltinOptionsRef]";
    }

    /// The table `QuantizationParameters`
    ///
    /// Generated from these locations:
    /// * Table `QuantizationParameters` in the file `trainer/src/tflite/schema.fbs:280`
    #[derive(Clone, Debug, PartialEq, PartialOrd, ::serde::Serialize, ::serde::Deserialize)]
    pub struct QuantizationParameters {
        /// The field `min` in the table `QuantizationParameters`
        pub min: ::core::option::Option<::planus::alloc::vec::Vec<f32>>,
        /// The field `max` in the table `QuantizationParameters`
        pub max: ::core::option::Option<::planus::alloc::vec::Vec<f32>>,
        /// The field `scale` in the table `QuantizationParameters`
        pub scale: ::core::option::Option<::planus::alloc::vec::Vec<f32>>,
        /// The field `zero_point` in the table `QuantizationParameters`
        pub zero_point: ::core::option::Option<::planus::alloc::vec::Vec<i64>>,
        /// The field `details` in the table `QuantizationParameters`
        pub details: ::core::option::Option<self::QuantizationDetails>,
        /// The field `quantized_dimension` in the table `QuantizationParameters`
        pub quantized_dimension: i32,
    }

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for QuantizationParameters {
        fn default() -> Self {
            Self {
                min: ::core::default::Default::default(),
                max: ::core::default::Default::default(),
                scale: ::core::default::Default::default(),
                zero_point: ::core::default::Default::default(),
                details: ::core::default::Default::default(),
                quantized_dimension: 0,
            }
        }
    }

    impl QuantizationParameters {
        /// Creates a [QuantizationParametersBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> QuantizationParametersBuilder<()> {
            QuantizationParametersBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(
            builder: &mut ::planus::Builder,
            field_min: impl ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            field_max: impl ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            field_scale: impl ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            field_zero_point: impl ::planus::WriteAsOptional<::planus::Offset<[i64]>>,
            field_details: impl ::planus::WriteAsOptionalUnion<self::QuantizationDetails>,
            field_quantized_dimension: impl ::planus::WriteAsDefault<i32, i32>,
        ) -> ::planus::Offset<Self> {
            let prepared_min = field_min.prepare(builder);
            let prepared_max = field_max.prepare(builder);
            let prepared_scale = field_scale.prepare(builder);
            let prepared_zero_point = field_zero_point.prepare(builder);
            let prepared_details = field_details.prepare(builder);
            let prepared_quantized_dimension = field_quantized_dimension.prepare(builder, &0);

            let mut table_writer: ::planus::table_writer::TableWriter<18> =
                ::core::default::Default::default();
            if prepared_min.is_some() {
                table_writer.write_entry::<::planus::Offset<[f32]>>(0);
            }
            if prepared_max.is_some() {
                table_writer.write_entry::<::planus::Offset<[f32]>>(1);
            }
            if prepared_scale.is_some() {
                table_writer.write_entry::<::planus::Offset<[f32]>>(2);
            }
            if prepared_zero_point.is_some() {
                table_writer.write_entry::<::planus::Offset<[i64]>>(3);
            }
            if prepared_details.is_some() {
                table_writer.write_entry::<::planus::Offset<self::QuantizationDetails>>(5);
            }
            if prepared_quantized_dimension.is_some() {
                table_writer.write_entry::<i32>(6);
            }
            if prepared_details.is_some() {
                table_writer.write_entry::<u8>(4);
            }

            unsafe {
                table_writer.finish(builder, |object_writer| {
                    if let ::core::option::Option::Some(prepared_min) = prepared_min {
                        object_writer.write::<_, _, 4>(&prepared_min);
                    }
                    if let ::core::option::Option::Some(prepared_max) = prepared_max {
                        object_writer.write::<_, _, 4>(&prepared_max);
                    }
                    if let ::core::option::Option::Some(prepared_scale) = prepared_scale {
                        object_writer.write::<_, _, 4>(&prepared_scale);
                    }
                    if let ::core::option::Option::Some(prepared_zero_point) = prepared_zero_point {
                        object_writer.write::<_, _, 4>(&prepared_zero_point);
                    }
                    if let ::core::option::Option::Some(prepared_details) = prepared_details {
                        object_writer.write::<_, _, 4>(&prepared_details.offset());
                    }
                    if let ::core::option::Option::Some(prepared_quantized_dimension) =
                        prepared_quantized_dimension
                    {
                        object_writer.write::<_, _, 4>(&prepared_quantized_dimension);
                    }
                    if let ::core::option::Option::Some(prepared_details) = prepared_details {
                        object_writer.write::<_, _, 1>(&prepared_details.tag());
                    }
                });
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<QuantizationParameters>> for QuantizationParameters {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<QuantizationParameters> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<QuantizationParameters>>
        for QuantizationParameters
    {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<QuantizationParameters>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<QuantizationParameters> for QuantizationParameters {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<QuantizationParameters> {
            QuantizationParameters::create(
                builder,
                &self.min,
                &self.max,
                &self.scale,
                &self.zero_point,
                &self.details,
                self.quantized_dimension,
            )
        }
    }

    /// Builder for serializing an instance of the [QuantizationParameters] type.
    ///
    /// Can be created using the [QuantizationParameters::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct QuantizationParametersBuilder<State>(State);

    impl QuantizationParametersBuilder<()> {
        /// Setter for the [`min` field](QuantizationParameters#structfield.min).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn min<T0>(self, value: T0) -> QuantizationParametersBuilder<(T0,)>
        where
            T0: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
        {
            QuantizationParametersBuilder((value,))
        }

        /// Sets the [`min` field](QuantizationParameters#structfield.min) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn min_as_null(self) -> QuantizationParametersBuilder<((),)> {
            self.min(())
        }
    }

    impl<T0> QuantizationParametersBuilder<(T0,)> {
        /// Setter for the [`max` field](QuantizationParameters#structfield.max).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn max<T1>(self, value: T1) -> QuantizationParametersBuilder<(T0, T1)>
        where
            T1: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
        {
            let (v0,) = self.0;
            QuantizationParametersBuilder((v0, value))
        }

        /// Sets the [`max` field](QuantizationParameters#structfield.max) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn max_as_null(self) -> QuantizationParametersBuilder<(T0, ())> {
            self.max(())
        }
    }

    impl<T0, T1> QuantizationParametersBuilder<(T0, T1)> {
        /// Setter for the [`scale` field](QuantizationParameters#structfield.scale).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn scale<T2>(self, value: T2) -> QuantizationParametersBuilder<(T0, T1, T2)>
        where
            T2: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
        {
            let (v0, v1) = self.0;
            QuantizationParametersBuilder((v0, v1, value))
        }

        /// Sets the [`scale` field](QuantizationParameters#structfield.scale) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn scale_as_null(self) -> QuantizationParametersBuilder<(T0, T1, ())> {
            self.scale(())
        }
    }

    impl<T0, T1, T2> QuantizationParametersBuilder<(T0, T1, T2)> {
        /// Setter for the [`zero_point` field](QuantizationParameters#structfield.zero_point).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn zero_point<T3>(self, value: T3) -> QuantizationParametersBuilder<(T0, T1, T2, T3)>
        where
            T3: ::planus::WriteAsOptional<::planus::Offset<[i64]>>,
        {
            let (v0, v1, v2) = self.0;
            QuantizationParametersBuilder((v0, v1, v2, value))
        }

        /// Sets the [`zero_point` field](QuantizationParameters#structfield.zero_point) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn zero_point_as_null(self) -> QuantizationParametersBuilder<(T0, T1, T2, ())> {
            self.zero_point(())
        }
    }

    impl<T0, T1, T2, T3> QuantizationParametersBuilder<(T0, T1, T2, T3)> {
        /// Setter for the [`details` field](QuantizationParameters#structfield.details).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn details<T4>(self, value: T4) -> QuantizationParametersBuilder<(T0, T1, T2, T3, T4)>
        where
            T4: ::planus::WriteAsOptionalUnion<self::QuantizationDetails>,
        {
            let (v0, v1, v2, v3) = self.0;
            QuantizationParametersBuilder((v0, v1, v2, v3, value))
        }

        /// Sets the [`details` field](QuantizationParameters#structfield.details) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn details_as_null(self) -> QuantizationParametersBuilder<(T0, T1, T2, T3, ())> {
            self.details(())
        }
    }

    impl<T0, T1, T2, T3, T4> QuantizationParametersBuilder<(T0, T1, T2, T3, T4)> {
        /// Setter for the [`quantized_dimension` field](QuantizationParameters#structfield.quantized_dimension).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn quantized_dimension<T5>(
            self,
            value: T5,
        ) -> QuantizationParametersBuilder<(T0, T1, T2, T3, T4, T5)>
        where
            T5: ::planus::WriteAsDefault<i32, i32>,
        {
            let (v0, v1, v2, v3, v4) = self.0;
            QuantizationParametersBuilder((v0, v1, v2, v3, v4, value))
        }

        /// Sets the [`quantized_dimension` field](QuantizationParameters#structfield.quantized_dimension) to the default value.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn quantized_dimension_as_default(
            self,
        ) -> QuantizationParametersBuilder<(T0, T1, T2, T3, T4, ::planus::DefaultValue)> {
            self.quantized_dimension(::planus::DefaultValue)
        }
    }

    impl<T0, T1, T2, T3, T4, T5> QuantizationParametersBuilder<(T0, T1, T2, T3, T4, T5)> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [QuantizationParameters].
        #[inline]
        pub fn finish(
            self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<QuantizationParameters>
        where
            Self: ::planus::WriteAsOffset<QuantizationParameters>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            T1: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            T2: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            T3: ::planus::WriteAsOptional<::planus::Offset<[i64]>>,
            T4: ::planus::WriteAsOptionalUnion<self::QuantizationDetails>,
            T5: ::planus::WriteAsDefault<i32, i32>,
        > ::planus::WriteAs<::planus::Offset<QuantizationParameters>>
        for QuantizationParametersBuilder<(T0, T1, T2, T3, T4, T5)>
    {
        type Prepared = ::planus::Offset<QuantizationParameters>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<QuantizationParameters> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            T1: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            T2: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            T3: ::planus::WriteAsOptional<::planus::Offset<[i64]>>,
            T4: ::planus::WriteAsOptionalUnion<self::QuantizationDetails>,
            T5: ::planus::WriteAsDefault<i32, i32>,
        > ::planus::WriteAsOptional<::planus::Offset<QuantizationParameters>>
        for QuantizationParametersBuilder<(T0, T1, T2, T3, T4, T5)>
    {
        type Prepared = ::planus::Offset<QuantizationParameters>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<QuantizationParameters>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl<
            T0: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            T1: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            T2: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            T3: ::planus::WriteAsOptional<::planus::Offset<[i64]>>,
            T4: ::planus::WriteAsOptionalUnion<self::QuantizationDetails>,
            T5: ::planus::WriteAsDefault<i32, i32>,
        > ::planus::WriteAsOffset<QuantizationParameters>
        for QuantizationParametersBuilder<(T0, T1, T2, T3, T4, T5)>
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<QuantizationParameters> {
            let (v0, v1, v2, v3, v4, v5) = &self.0;
            QuantizationParameters::create(builder, v0, v1, v2, v3, v4, v5)
        }
    }

    /// Reference to a deserialized [QuantizationParameters].
    #[derive(Copy, Clone)]
    pub struct QuantizationParametersRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> QuantizationParametersRef<'a> {
        /// Getter for the [`min` field](QuantizationParameters#structfield.min).
        #[inline]
        pub fn min(&self) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, f32>>> {
            self.0.access(0, "QuantizationParameters", "min")
        }

        /// Getter for the [`max` field](QuantizationParameters#structfield.max).
        #[inline]
        pub fn max(&self) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, f32>>> {
            self.0.access(1, "QuantizationParameters", "max")
        }

        /// Getter for the [`scale` field](QuantizationParameters#structfield.scale).
        #[inline]
        pub fn scale(&self) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, f32>>> {
            self.0.access(2, "QuantizationParameters", "scale")
        }

        /// Getter for the [`zero_point` field](QuantizationParameters#structfield.zero_point).
        #[inline]
        pub fn zero_point(
            &self,
        ) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, i64>>> {
            self.0.access(3, "QuantizationParameters", "zero_point")
        }

        /// Getter for the [`details` field](QuantizationParameters#structfield.details).
        #[inline]
        pub fn details(
            &self,
        ) -> ::planus::Result<::core::option::Option<self::QuantizationDetailsRef<'a>>> {
            self.0.access_union(4, "QuantizationParameters", "details")
        }

        /// Getter for the [`quantized_dimension` field](QuantizationParameters#structfield.quantized_dimension).
        #[inline]
        pub fn quantized_dimension(&self) -> ::planus::Result<i32> {
            ::core::result::Result::Ok(
                self.0
                    .access(6, "QuantizationParameters", "quantized_dimension")?
                    .unwrap_or(0),
            )
        }
    }

    impl<'a> ::core::fmt::Debug for QuantizationParametersRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("QuantizationParametersRef");
            if let ::core::option::Option::Some(field_min) = self.min().transpose() {
                f.field("min", &field_min);
            }
            if let ::core::option::Option::Some(field_max) = self.max().transpose() {
                f.field("max", &field_max);
            }
            if let ::core::option::Option::Some(field_scale) = self.scale().transpose() {
                f.field("scale", &field_scale);
            }
            if let ::core::option::Option::Some(field_zero_point) = self.zero_point().transpose() {
                f.field("zero_point", &field_zero_point);
            }
            if let ::core::option::Option::Some(field_details) = self.details().transpose() {
                f.field("details", &field_details);
            }
            f.field("quantized_dimension", &self.quantized_dimension());
            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<QuantizationParametersRef<'a>> for QuantizationParameters {
        type Error = ::planus::Error;

        #[allow(unreachable_code)]
        fn try_from(value: QuantizationParametersRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {
                min: if let ::core::option::Option::Some(min) = value.min()? {
                    ::core::option::Option::Some(min.to_vec()?)
                } else {
                    ::core::option::Option::None
                },
                max: if let ::core::option::Option::Some(max) = value.max()? {
                    ::core::option::Option::Some(max.to_vec()?)
                } else {
                    ::core::option::Option::None
                },
                scale: if let ::core::option::Option::Some(scale) = value.scale()? {
                    ::core::option::Option::Some(scale.to_vec()?)
                } else {
                    ::core::option::Option::None
                },
                zero_point: if let ::core::option::Option::Some(zero_point) = value.zero_point()? {
                    ::core::option::Option::Some(zero_point.to_vec()?)
                } else {
                    ::core::option::Option::None
                },
                details: if let ::core::option::Option::Some(details) = value.details()? {
                    ::core::option::Option::Some(::core::convert::TryInto::try_into(details)?)
                } else {
                    ::core::option::Option::None
                },
                quantized_dimension: ::core::convert::TryInto::try_into(
                    value.quantized_dimension()?,
                )?,
            })
        }
    }

    impl<'a> ::planus::TableRead<'a> for QuantizationParametersRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for QuantizationParametersRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location(
                    "[QuantizationParametersRef]",
                    "get",
                    buffer.offset_from_start,
                )
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<QuantizationParameters>>
        for QuantizationParameters
    {
        type Value = ::planus::Offset<QuantizationParameters>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<QuantizationParameters>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for QuantizationParametersRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[QuantizationParametersRef]", "read_as_root", 0)
            })
        }
    }

    /// The table `Tensor`
    ///
    /// Generated from these locations:
    /// * Table `Tensor` in the file `trainer/src/tflite/schema.fbs:289`
    #[derive(Clone, Debug, PartialEq, PartialOrd, ::serde::Serialize, ::serde::Deserialize)]
    pub struct Tensor {
        /// The field `shape` in the table `Tensor`
        pub shape: ::core::option::Option<::planus::alloc::vec::Vec<i32>>,
        /// The field `type` in the table `Tensor`
        pub type_: self::TensorType,
        /// The field `buffer` in the table `Tensor`
        pub buffer: u32,
        /// The field `name` in the table `Tensor`
        pub name: ::core::option::Option<::planus::alloc::string::String>,
        /// The field `quantization` in the table `Tensor`
        pub quantization:
            ::core::option::Option<::planus::alloc::boxed::Box<self::QuantizationParameters>>,
    }

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for Tensor {
        fn default() -> Self {
            Self {
                shape: ::core::default::Default::default(),
                type_: self::TensorType::Float32,
                buffer: 0,
                name: ::core::default::Default::default(),
                quantization: ::core::default::Default::default(),
            }
        }
    }

    impl Tensor {
        /// Creates a [TensorBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> TensorBuilder<()> {
            TensorBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(
            builder: &mut ::planus::Builder,
            field_shape: impl ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            field_type_: impl ::planus::WriteAsDefault<self::TensorType, self::TensorType>,
            field_buffer: impl ::planus::WriteAsDefault<u32, u32>,
            field_name: impl ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            field_quantization: impl ::planus::WriteAsOptional<
                ::planus::Offset<self::QuantizationParameters>,
            >,
        ) -> ::planus::Offset<Self> {
            let prepared_shape = field_shape.prepare(builder);
            let prepared_type_ = field_type_.prepare(builder, &self::TensorType::Float32);
            let prepared_buffer = field_buffer.prepare(builder, &0);
            let prepared_name = field_name.prepare(builder);
            let prepared_quantization = field_quantization.prepare(builder);

            let mut table_writer: ::planus::table_writer::TableWriter<14> =
                ::core::default::Default::default();
            if prepared_shape.is_some() {
                table_writer.write_entry::<::planus::Offset<[i32]>>(0);
            }
            if prepared_buffer.is_some() {
                table_writer.write_entry::<u32>(2);
            }
            if prepared_name.is_some() {
                table_writer.write_entry::<::planus::Offset<str>>(3);
            }
            if prepared_quantization.is_some() {
                table_writer.write_entry::<::planus::Offset<self::QuantizationParameters>>(4);
            }
            if prepared_type_.is_some() {
                table_writer.write_entry::<self::TensorType>(1);
            }

            unsafe {
                table_writer.finish(builder, |object_writer| {
                    if let ::core::option::Option::Some(prepared_shape) = prepared_shape {
                        object_writer.write::<_, _, 4>(&prepared_shape);
                    }
                    if let ::core::option::Option::Some(prepared_buffer) = prepared_buffer {
                        object_writer.write::<_, _, 4>(&prepared_buffer);
                    }
                    if let ::core::option::Option::Some(prepared_name) = prepared_name {
                        object_writer.write::<_, _, 4>(&prepared_name);
                    }
                    if let ::core::option::Option::Some(prepared_quantization) =
                        prepared_quantization
                    {
                        object_writer.write::<_, _, 4>(&prepared_quantization);
                    }
                    if let ::core::option::Option::Some(prepared_type_) = prepared_type_ {
                        object_writer.write::<_, _, 1>(&prepared_type_);
                    }
                });
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<Tensor>> for Tensor {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Tensor> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<Tensor>> for Tensor {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<Tensor>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<Tensor> for Tensor {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Tensor> {
            Tensor::create(
                builder,
                &self.shape,
                self.type_,
                self.buffer,
                &self.name,
                &self.quantization,
            )
        }
    }

    /// Builder for serializing an instance of the [Tensor] type.
    ///
    /// Can be created using the [Tensor::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct TensorBuilder<State>(State);

    impl TensorBuilder<()> {
        /// Setter for the [`shape` field](Tensor#structfield.shape).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn shape<T0>(self, value: T0) -> TensorBuilder<(T0,)>
        where
            T0: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
        {
            TensorBuilder((value,))
        }

        /// Sets the [`shape` field](Tensor#structfield.shape) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn shape_as_null(self) -> TensorBuilder<((),)> {
            self.shape(())
        }
    }

    impl<T0> TensorBuilder<(T0,)> {
        /// Setter for the [`type` field](Tensor#structfield.type_).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn type_<T1>(self, value: T1) -> TensorBuilder<(T0, T1)>
        where
            T1: ::planus::WriteAsDefault<self::TensorType, self::TensorType>,
        {
            let (v0,) = self.0;
            TensorBuilder((v0, value))
        }

        /// Sets the [`type` field](Tensor#structfield.type_) to the default value.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn type_as_default(self) -> TensorBuilder<(T0, ::planus::DefaultValue)> {
            self.type_(::planus::DefaultValue)
        }
    }

    impl<T0, T1> TensorBuilder<(T0, T1)> {
        /// Setter for the [`buffer` field](Tensor#structfield.buffer).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn buffer<T2>(self, value: T2) -> TensorBuilder<(T0, T1, T2)>
        where
            T2: ::planus::WriteAsDefault<u32, u32>,
        {
            let (v0, v1) = self.0;
            TensorBuilder((v0, v1, value))
        }

        /// Sets the [`buffer` field](Tensor#structfield.buffer) to the default value.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn buffer_as_default(self) -> TensorBuilder<(T0, T1, ::planus::DefaultValue)> {
            self.buffer(::planus::DefaultValue)
        }
    }

    impl<T0, T1, T2> TensorBuilder<(T0, T1, T2)> {
        /// Setter for the [`name` field](Tensor#structfield.name).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn name<T3>(self, value: T3) -> TensorBuilder<(T0, T1, T2, T3)>
        where
            T3: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
        {
            let (v0, v1, v2) = self.0;
            TensorBuilder((v0, v1, v2, value))
        }

        /// Sets the [`name` field](Tensor#structfield.name) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn name_as_null(self) -> TensorBuilder<(T0, T1, T2, ())> {
            self.name(())
        }
    }

    impl<T0, T1, T2, T3> TensorBuilder<(T0, T1, T2, T3)> {
        /// Setter for the [`quantization` field](Tensor#structfield.quantization).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn quantization<T4>(self, value: T4) -> TensorBuilder<(T0, T1, T2, T3, T4)>
        where
            T4: ::planus::WriteAsOptional<::planus::Offset<self::QuantizationParameters>>,
        {
            let (v0, v1, v2, v3) = self.0;
            TensorBuilder((v0, v1, v2, v3, value))
        }

        /// Sets the [`quantization` field](Tensor#structfield.quantization) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn quantization_as_null(self) -> TensorBuilder<(T0, T1, T2, T3, ())> {
            self.quantization(())
        }
    }

    impl<T0, T1, T2, T3, T4> TensorBuilder<(T0, T1, T2, T3, T4)> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [Tensor].
        #[inline]
        pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<Tensor>
        where
            Self: ::planus::WriteAsOffset<Tensor>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            T1: ::planus::WriteAsDefault<self::TensorType, self::TensorType>,
            T2: ::planus::WriteAsDefault<u32, u32>,
            T3: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            T4: ::planus::WriteAsOptional<::planus::Offset<self::QuantizationParameters>>,
        > ::planus::WriteAs<::planus::Offset<Tensor>> for TensorBuilder<(T0, T1, T2, T3, T4)>
    {
        type Prepared = ::planus::Offset<Tensor>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Tensor> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            T1: ::planus::WriteAsDefault<self::TensorType, self::TensorType>,
            T2: ::planus::WriteAsDefault<u32, u32>,
            T3: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            T4: ::planus::WriteAsOptional<::planus::Offset<self::QuantizationParameters>>,
        > ::planus::WriteAsOptional<::planus::Offset<Tensor>>
        for TensorBuilder<(T0, T1, T2, T3, T4)>
    {
        type Prepared = ::planus::Offset<Tensor>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<Tensor>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl<
            T0: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            T1: ::planus::WriteAsDefault<self::TensorType, self::TensorType>,
            T2: ::planus::WriteAsDefault<u32, u32>,
            T3: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            T4: ::planus::WriteAsOptional<::planus::Offset<self::QuantizationParameters>>,
        > ::planus::WriteAsOffset<Tensor> for TensorBuilder<(T0, T1, T2, T3, T4)>
    {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Tensor> {
            let (v0, v1, v2, v3, v4) = &self.0;
            Tensor::create(builder, v0, v1, v2, v3, v4)
        }
    }

    /// Reference to a deserialized [Tensor].
    #[derive(Copy, Clone)]
    pub struct TensorRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> TensorRef<'a> {
        /// Getter for the [`shape` field](Tensor#structfield.shape).
        #[inline]
        pub fn shape(&self) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, i32>>> {
            self.0.access(0, "Tensor", "shape")
        }

        /// Getter for the [`type` field](Tensor#structfield.type_).
        #[inline]
        pub fn type_(&self) -> ::planus::Result<self::TensorType> {
            ::core::result::Result::Ok(
                self.0
                    .access(1, "Tensor", "type_")?
                    .unwrap_or(self::TensorType::Float32),
            )
        }

        /// Getter for the [`buffer` field](Tensor#structfield.buffer).
        #[inline]
        pub fn buffer(&self) -> ::planus::Result<u32> {
            ::core::result::Result::Ok(self.0.access(2, "Tensor", "buffer")?.unwrap_or(0))
        }

        /// Getter for the [`name` field](Tensor#structfield.name).
        #[inline]
        pub fn name(&self) -> ::planus::Result<::core::option::Option<&'a ::core::primitive::str>> {
            self.0.access(3, "Tensor", "name")
        }

        /// Getter for the [`quantization` field](Tensor#structfield.quantization).
        #[inline]
        pub fn quantization(
            &self,
        ) -> ::planus::Result<::core::option::Option<self::QuantizationParametersRef<'a>>> {
            self.0.access(4, "Tensor", "quantization")
        }
    }

    impl<'a> ::core::fmt::Debug for TensorRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("TensorRef");
            if let ::core::option::Option::Some(field_shape) = self.shape().transpose() {
                f.field("shape", &field_shape);
            }
            f.field("type_", &self.type_());
            f.field("buffer", &self.buffer());
            if let ::core::option::Option::Some(field_name) = self.name().transpose() {
                f.field("name", &field_name);
            }
            if let ::core::option::Option::Some(field_quantization) =
                self.quantization().transpose()
            {
                f.field("quantization", &field_quantization);
            }
            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<TensorRef<'a>> for Tensor {
        type Error = ::planus::Error;

        #[allow(unreachable_code)]
        fn try_from(value: TensorRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {
                shape: if let ::core::option::Option::Some(shape) = value.shape()? {
                    ::core::option::Option::Some(shape.to_vec()?)
                } else {
                    ::core::option::Option::None
                },
                type_: ::core::convert::TryInto::try_into(value.type_()?)?,
                buffer: ::core::convert::TryInto::try_into(value.buffer()?)?,
                name: value.name()?.map(::core::convert::Into::into),
                quantization: if let ::core::option::Option::Some(quantization) =
                    value.quantization()?
                {
                    ::core::option::Option::Some(::planus::alloc::boxed::Box::new(
                        ::core::convert::TryInto::try_into(quantization)?,
                    ))
                } else {
                    ::core::option::Option::None
                },
            })
        }
    }

    impl<'a> ::planus::TableRead<'a> for TensorRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for TensorRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location("[TensorRef]", "get", buffer.offset_from_start)
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<Tensor>> for Tensor {
        type Value = ::planus::Offset<Tensor>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<Tensor>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for TensorRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| error_kind.with_error_location("[TensorRef]", "read_as_root", 0))
        }
    }

    /// The table `FullyConnectedOptions`
    ///
    /// Generated from these locations:
    /// * Table `FullyConnectedOptions` in the file `trainer/src/tflite/schema.fbs:297`
    #[derive(
        Clone, Debug, PartialEq, PartialOrd, Eq, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
    )]
    pub struct FullyConnectedOptions {
        /// The field `fused_activation_function` in the table `FullyConnectedOptions`
        pub fused_activation_function: self::ActivationFunctionType,
        /// The field `weights_format` in the table `FullyConnectedOptions`
        pub weights_format: i8,
        /// The field `keep_num_dims` in the table `FullyConnectedOptions`
        pub keep_num_dims: bool,
    }

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for FullyConnectedOptions {
        fn default() -> Self {
            Self {
                fused_activation_function: self::ActivationFunctionType::None,
                weights_format: 0,
                keep_num_dims: false,
            }
        }
    }

    impl FullyConnectedOptions {
        /// Creates a [FullyConnectedOptionsBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> FullyConnectedOptionsBuilder<()> {
            FullyConnectedOptionsBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(
            builder: &mut ::planus::Builder,
            field_fused_activation_function: impl ::planus::WriteAsDefault<
                self::ActivationFunctionType,
                self::ActivationFunctionType,
            >,
            field_weights_format: impl ::planus::WriteAsDefault<i8, i8>,
            field_keep_num_dims: impl ::planus::WriteAsDefault<bool, bool>,
        ) -> ::planus::Offset<Self> {
            let prepared_fused_activation_function = field_fused_activation_function
                .prepare(builder, &self::ActivationFunctionType::None);
            let prepared_weights_format = field_weights_format.prepare(builder, &0);
            let prepared_keep_num_dims = field_keep_num_dims.prepare(builder, &false);

            let mut table_writer: ::planus::table_writer::TableWriter<10> =
                ::core::default::Default::default();
            if prepared_fused_activation_function.is_some() {
                table_writer.write_entry::<self::ActivationFunctionType>(0);
            }
            if prepared_weights_format.is_some() {
                table_writer.write_entry::<i8>(1);
            }
            if prepared_keep_num_dims.is_some() {
                table_writer.write_entry::<bool>(2);
            }

            unsafe {
                table_writer.finish(builder, |object_writer| {
                    if let ::core::option::Option::Some(prepared_fused_activation_function) =
                        prepared_fused_activation_function
                    {
                        object_writer.write::<_, _, 1>(&prepared_fused_activation_function);
                    }
                    if let ::core::option::Option::Some(prepared_weights_format) =
                        prepared_weights_format
                    {
                        object_writer.write::<_, _, 1>(&prepared_weights_format);
                    }
                    if let ::core::option::Option::Some(prepared_keep_num_dims) =
                        prepared_keep_num_dims
                    {
                        object_writer.write::<_, _, 1>(&prepared_keep_num_dims);
                    }
                });
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<FullyConnectedOptions>> for FullyConnectedOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<FullyConnectedOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<FullyConnectedOptions>> for FullyConnectedOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<FullyConnectedOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<FullyConnectedOptions> for FullyConnectedOptions {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<FullyConnectedOptions> {
            FullyConnectedOptions::create(
                builder,
                self.fused_activation_function,
                self.weights_format,
                self.keep_num_dims,
            )
        }
    }

    /// Builder for serializing an instance of the [FullyConnectedOptions] type.
    ///
    /// Can be created using the [FullyConnectedOptions::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct FullyConnectedOptionsBuilder<State>(State);

    impl FullyConnectedOptionsBuilder<()> {
        /// Setter for the [`fused_activation_function` field](FullyConnectedOptions#structfield.fused_activation_function).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn fused_activation_function<T0>(self, value: T0) -> FullyConnectedOptionsBuilder<(T0,)>
        where
            T0: ::planus::WriteAsDefault<
                self::ActivationFunctionType,
                self::ActivationFunctionType,
            >,
        {
            FullyConnectedOptionsBuilder((value,))
        }

        /// Sets the [`fused_activation_function` field](FullyConnectedOptions#structfield.fused_activation_function) to the default value.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn fused_activation_function_as_default(
            self,
        ) -> FullyConnectedOptionsBuilder<(::planus::DefaultValue,)> {
            self.fused_activation_function(::planus::DefaultValue)
        }
    }

    impl<T0> FullyConnectedOptionsBuilder<(T0,)> {
        /// Setter for the [`weights_format` field](FullyConnectedOptions#structfield.weights_format).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn weights_format<T1>(self, value: T1) -> FullyConnectedOptionsBuilder<(T0, T1)>
        where
            T1: ::planus::WriteAsDefault<i8, i8>,
        {
            let (v0,) = self.0;
            FullyConnectedOptionsBuilder((v0, value))
        }

        /// Sets the [`weights_format` field](FullyConnectedOptions#structfield.weights_format) to the default value.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn weights_format_as_default(
            self,
        ) -> FullyConnectedOptionsBuilder<(T0, ::planus::DefaultValue)> {
            self.weights_format(::planus::DefaultValue)
        }
    }

    impl<T0, T1> FullyConnectedOptionsBuilder<(T0, T1)> {
        /// Setter for the [`keep_num_dims` field](FullyConnectedOptions#structfield.keep_num_dims).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn keep_num_dims<T2>(self, value: T2) -> FullyConnectedOptionsBuilder<(T0, T1, T2)>
        where
            T2: ::planus::WriteAsDefault<bool, bool>,
        {
            let (v0, v1) = self.0;
            FullyConnectedOptionsBuilder((v0, v1, value))
        }

        /// Sets the [`keep_num_dims` field](FullyConnectedOptions#structfield.keep_num_dims) to the default value.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn keep_num_dims_as_default(
            self,
        ) -> FullyConnectedOptionsBuilder<(T0, T1, ::planus::DefaultValue)> {
            self.keep_num_dims(::planus::DefaultValue)
        }
    }

    impl<T0, T1, T2> FullyConnectedOptionsBuilder<(T0, T1, T2)> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [FullyConnectedOptions].
        #[inline]
        pub fn finish(
            self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<FullyConnectedOptions>
        where
            Self: ::planus::WriteAsOffset<FullyConnectedOptions>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsDefault<self::ActivationFunctionType, self::ActivationFunctionType>,
            T1: ::planus::WriteAsDefault<i8, i8>,
            T2: ::planus::WriteAsDefault<bool, bool>,
        > ::planus::WriteAs<::planus::Offset<FullyConnectedOptions>>
        for FullyConnectedOptionsBuilder<(T0, T1, T2)>
    {
        type Prepared = ::planus::Offset<FullyConnectedOptions>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<FullyConnectedOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsDefault<self::ActivationFunctionType, self::ActivationFunctionType>,
            T1: ::planus::WriteAsDefault<i8, i8>,
            T2: ::planus::WriteAsDefault<bool, bool>,
        > ::planus::WriteAsOptional<::planus::Offset<FullyConnectedOptions>>
        for FullyConnectedOptionsBuilder<(T0, T1, T2)>
    {
        type Prepared = ::planus::Offset<FullyConnectedOptions>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<FullyConnectedOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl<
            T0: ::planus::WriteAsDefault<self::ActivationFunctionType, self::ActivationFunctionType>,
            T1: ::planus::WriteAsDefault<i8, i8>,
            T2: ::planus::WriteAsDefault<bool, bool>,
        > ::planus::WriteAsOffset<FullyConnectedOptions>
        for FullyConnectedOptionsBuilder<(T0, T1, T2)>
    {
        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::planus::Offset<FullyConnectedOptions> {
            let (v0, v1, v2) = &self.0;
            FullyConnectedOptions::create(builder, v0, v1, v2)
        }
    }

    /// Reference to a deserialized [FullyConnectedOptions].
    #[derive(Copy, Clone)]
    pub struct FullyConnectedOptionsRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> FullyConnectedOptionsRef<'a> {
        /// Getter for the [`fused_activation_function` field](FullyConnectedOptions#structfield.fused_activation_function).
        #[inline]
        pub fn fused_activation_function(&self) -> ::planus::Result<self::ActivationFunctionType> {
            ::core::result::Result::Ok(
                self.0
                    .access(0, "FullyConnectedOptions", "fused_activation_function")?
                    .unwrap_or(self::ActivationFunctionType::None),
            )
        }

        /// Getter for the [`weights_format` field](FullyConnectedOptions#structfield.weights_format).
        #[inline]
        pub fn weights_format(&self) -> ::planus::Result<i8> {
            ::core::result::Result::Ok(
                self.0
                    .access(1, "FullyConnectedOptions", "weights_format")?
                    .unwrap_or(0),
            )
        }

        /// Getter for the [`keep_num_dims` field](FullyConnectedOptions#structfield.keep_num_dims).
        #[inline]
        pub fn keep_num_dims(&self) -> ::planus::Result<bool> {
            ::core::result::Result::Ok(
                self.0
                    .access(2, "FullyConnectedOptions", "keep_num_dims")?
                    .unwrap_or(false),
            )
        }
    }

    impl<'a> ::core::fmt::Debug for FullyConnectedOptionsRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("FullyConnectedOptionsRef");
            f.field(
                "fused_activation_function",
                &self.fused_activation_function(),
            );
            f.field("weights_format", &self.weights_format());
            f.field("keep_num_dims", &self.keep_num_dims());
            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<FullyConnectedOptionsRef<'a>> for FullyConnectedOptions {
        type Error = ::planus::Error;

        #[allow(unreachable_code)]
        fn try_from(value: FullyConnectedOptionsRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {
                fused_activation_function: ::core::convert::TryInto::try_into(
                    value.fused_activation_function()?,
                )?,
                weights_format: ::core::convert::TryInto::try_into(value.weights_format()?)?,
                keep_num_dims: ::core::convert::TryInto::try_into(value.keep_num_dims()?)?,
            })
        }
    }

    impl<'a> ::planus::TableRead<'a> for FullyConnectedOptionsRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for FullyConnectedOptionsRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location(
                    "[FullyConnectedOptionsRef]",
                    "get",
                    buffer.offset_from_start,
                )
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<FullyConnectedOptions>>
        for FullyConnectedOptions
    {
        type Value = ::planus::Offset<FullyConnectedOptions>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<FullyConnectedOptions>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for FullyConnectedOptionsRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[FullyConnectedOptionsRef]", "read_as_root", 0)
            })
        }
    }

    /// The table `SoftmaxOptions`
    ///
    /// Generated from these locations:
    /// * Table `SoftmaxOptions` in the file `trainer/src/tflite/schema.fbs:303`
    #[derive(Clone, Debug, PartialEq, PartialOrd, ::serde::Serialize, ::serde::Deserialize)]
    pub struct SoftmaxOptions {
        /// The field `beta` in the table `SoftmaxOptions`
        pub beta: f32,
    }

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for SoftmaxOptions {
        fn default() -> Self {
            Self { beta: 0.0 }
        }
    }

    impl SoftmaxOptions {
        /// Creates a [SoftmaxOptionsBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> SoftmaxOptionsBuilder<()> {
            SoftmaxOptionsBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(
            builder: &mut ::planus::Builder,
            field_beta: impl ::planus::WriteAsDefault<f32, f32>,
        ) -> ::planus::Offset<Self> {
            let prepared_beta = field_beta.prepare(builder, &0.0);

            let mut table_writer: ::planus::table_writer::TableWriter<6> =
                ::core::default::Default::default();
            if prepared_beta.is_some() {
                table_writer.write_entry::<f32>(0);
            }

            unsafe {
                table_writer.finish(builder, |object_writer| {
                    if let ::core::option::Option::Some(prepared_beta) = prepared_beta {
                        object_writer.write::<_, _, 4>(&prepared_beta);
                    }
                });
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<SoftmaxOptions>> for SoftmaxOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<SoftmaxOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<SoftmaxOptions>> for SoftmaxOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<SoftmaxOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<SoftmaxOptions> for SoftmaxOptions {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<SoftmaxOptions> {
            SoftmaxOptions::create(builder, self.beta)
        }
    }

    /// Builder for serializing an instance of the [SoftmaxOptions] type.
    ///
    /// Can be created using the [SoftmaxOptions::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct SoftmaxOptionsBuilder<State>(State);

    impl SoftmaxOptionsBuilder<()> {
        /// Setter for the [`beta` field](SoftmaxOptions#structfield.beta).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn beta<T0>(self, value: T0) -> SoftmaxOptionsBuilder<(T0,)>
        where
            T0: ::planus::WriteAsDefault<f32, f32>,
        {
            SoftmaxOptionsBuilder((value,))
        }

        /// Sets the [`beta` field](SoftmaxOptions#structfield.beta) to the default value.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn beta_as_default(self) -> SoftmaxOptionsBuilder<(::planus::DefaultValue,)> {
            self.beta(::planus::DefaultValue)
        }
    }

    impl<T0> SoftmaxOptionsBuilder<(T0,)> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [SoftmaxOptions].
        #[inline]
        pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<SoftmaxOptions>
        where
            Self: ::planus::WriteAsOffset<SoftmaxOptions>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl<T0: ::planus::WriteAsDefault<f32, f32>> ::planus::WriteAs<::planus::Offset<SoftmaxOptions>>
        for SoftmaxOptionsBuilder<(T0,)>
    {
        type Prepared = ::planus::Offset<SoftmaxOptions>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<SoftmaxOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl<T0: ::planus::WriteAsDefault<f32, f32>>
        ::planus::WriteAsOptional<::planus::Offset<SoftmaxOptions>>
        for SoftmaxOptionsBuilder<(T0,)>
    {
        type Prepared = ::planus::Offset<SoftmaxOptions>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<SoftmaxOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl<T0: ::planus::WriteAsDefault<f32, f32>> ::planus::WriteAsOffset<SoftmaxOptions>
        for SoftmaxOptionsBuilder<(T0,)>
    {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<SoftmaxOptions> {
            let (v0,) = &self.0;
            SoftmaxOptions::create(builder, v0)
        }
    }

    /// Reference to a deserialized [SoftmaxOptions].
    #[derive(Copy, Clone)]
    pub struct SoftmaxOptionsRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> SoftmaxOptionsRef<'a> {
        /// Getter for the [`beta` field](SoftmaxOptions#structfield.beta).
        #[inline]
        pub fn beta(&self) -> ::planus::Result<f32> {
            ::core::result::Result::Ok(self.0.access(0, "SoftmaxOptions", "beta")?.unwrap_or(0.0))
        }
    }

    impl<'a> ::core::fmt::Debug for SoftmaxOptionsRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("SoftmaxOptionsRef");
            f.field("beta", &self.beta());
            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<SoftmaxOptionsRef<'a>> for SoftmaxOptions {
        type Error = ::planus::Error;

        #[allow(unreachable_code)]
        fn try_from(value: SoftmaxOptionsRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {
                beta: ::core::convert::TryInto::try_into(value.beta()?)?,
            })
        }
    }

    impl<'a> ::planus::TableRead<'a> for SoftmaxOptionsRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for SoftmaxOptionsRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location(
                    "[SoftmaxOptionsRef]",
                    "get",
                    buffer.offset_from_start,
                )
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<SoftmaxOptions>> for SoftmaxOptions {
        type Value = ::planus::Offset<SoftmaxOptions>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<SoftmaxOptions>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for SoftmaxOptionsRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[SoftmaxOptionsRef]", "read_as_root", 0)
            })
        }
    }

    /// The table `ReshapeOptions`
    ///
    /// Generated from these locations:
    /// * Table `ReshapeOptions` in the file `trainer/src/tflite/schema.fbs:307`
    #[derive(
        Clone, Debug, PartialEq, PartialOrd, Eq, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
    )]
    pub struct ReshapeOptions {
        /// The field `new_shape` in the table `ReshapeOptions`
        pub new_shape: ::core::option::Option<::planus::alloc::vec::Vec<i32>>,
    }

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for ReshapeOptions {
        fn default() -> Self {
            Self {
                new_shape: ::core::default::Default::default(),
            }
        }
    }

    impl ReshapeOptions {
        /// Creates a [ReshapeOptionsBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> ReshapeOptionsBuilder<()> {
            ReshapeOptionsBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(
            builder: &mut ::planus::Builder,
            field_new_shape: impl ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
        ) -> ::planus::Offset<Self> {
            let prepared_new_shape = field_new_shape.prepare(builder);

            let mut table_writer: ::planus::table_writer::TableWriter<6> =
                ::core::default::Default::default();
            if prepared_new_shape.is_some() {
                table_writer.write_entry::<::planus::Offset<[i32]>>(0);
            }

            unsafe {
                table_writer.finish(builder, |object_writer| {
                    if let ::core::option::Option::Some(prepared_new_shape) = prepared_new_shape {
                        object_writer.write::<_, _, 4>(&prepared_new_shape);
                    }
                });
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<ReshapeOptions>> for ReshapeOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<ReshapeOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<ReshapeOptions>> for ReshapeOptions {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<ReshapeOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<ReshapeOptions> for ReshapeOptions {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<ReshapeOptions> {
            ReshapeOptions::create(builder, &self.new_shape)
        }
    }

    /// Builder for serializing an instance of the [ReshapeOptions] type.
    ///
    /// Can be created using the [ReshapeOptions::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct ReshapeOptionsBuilder<State>(State);

    impl ReshapeOptionsBuilder<()> {
        /// Setter for the [`new_shape` field](ReshapeOptions#structfield.new_shape).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn new_shape<T0>(self, value: T0) -> ReshapeOptionsBuilder<(T0,)>
        where
            T0: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
        {
            ReshapeOptionsBuilder((value,))
        }

        /// Sets the [`new_shape` field](ReshapeOptions#structfield.new_shape) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn new_shape_as_null(self) -> ReshapeOptionsBuilder<((),)> {
            self.new_shape(())
        }
    }

    impl<T0> ReshapeOptionsBuilder<(T0,)> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [ReshapeOptions].
        #[inline]
        pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<ReshapeOptions>
        where
            Self: ::planus::WriteAsOffset<ReshapeOptions>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl<T0: ::planus::WriteAsOptional<::planus::Offset<[i32]>>>
        ::planus::WriteAs<::planus::Offset<ReshapeOptions>> for ReshapeOptionsBuilder<(T0,)>
    {
        type Prepared = ::planus::Offset<ReshapeOptions>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<ReshapeOptions> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl<T0: ::planus::WriteAsOptional<::planus::Offset<[i32]>>>
        ::planus::WriteAsOptional<::planus::Offset<ReshapeOptions>>
        for ReshapeOptionsBuilder<(T0,)>
    {
        type Prepared = ::planus::Offset<ReshapeOptions>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<ReshapeOptions>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl<T0: ::planus::WriteAsOptional<::planus::Offset<[i32]>>>
        ::planus::WriteAsOffset<ReshapeOptions> for ReshapeOptionsBuilder<(T0,)>
    {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<ReshapeOptions> {
            let (v0,) = &self.0;
            ReshapeOptions::create(builder, v0)
        }
    }

    /// Reference to a deserialized [ReshapeOptions].
    #[derive(Copy, Clone)]
    pub struct ReshapeOptionsRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> ReshapeOptionsRef<'a> {
        /// Getter for the [`new_shape` field](ReshapeOptions#structfield.new_shape).
        #[inline]
        pub fn new_shape(
            &self,
        ) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, i32>>> {
            self.0.access(0, "ReshapeOptions", "new_shape")
        }
    }

    impl<'a> ::core::fmt::Debug for ReshapeOptionsRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("ReshapeOptionsRef");
            if let ::core::option::Option::Some(field_new_shape) = self.new_shape().transpose() {
                f.field("new_shape", &field_new_shape);
            }
            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<ReshapeOptionsRef<'a>> for ReshapeOptions {
        type Error = ::planus::Error;

        #[allow(unreachable_code)]
        fn try_from(value: ReshapeOptionsRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {
                new_shape: if let ::core::option::Option::Some(new_shape) = value.new_shape()? {
                    ::core::option::Option::Some(new_shape.to_vec()?)
                } else {
                    ::core::option::Option::None
                },
            })
        }
    }

    impl<'a> ::planus::TableRead<'a> for ReshapeOptionsRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for ReshapeOptionsRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location(
                    "[ReshapeOptionsRef]",
                    "get",
                    buffer.offset_from_start,
                )
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<ReshapeOptions>> for ReshapeOptions {
        type Value = ::planus::Offset<ReshapeOptions>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<ReshapeOptions>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for ReshapeOptionsRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[ReshapeOptionsRef]", "read_as_root", 0)
            })
        }
    }

    /// The table `OperatorCode`
    ///
    /// Generated from these locations:
    /// * Table `OperatorCode` in the file `trainer/src/tflite/schema.fbs:311`
    #[derive(
        Clone, Debug, PartialEq, PartialOrd, Eq, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
    )]
    pub struct OperatorCode {
        /// The field `deprecated_builtin_code` in the table `OperatorCode`
        pub deprecated_builtin_code: i8,
        /// The field `custom_code` in the table `OperatorCode`
        pub custom_code: ::core::option::Option<::planus::alloc::string::String>,
        /// The field `version` in the table `OperatorCode`
        pub version: i32,
        /// The field `builtin_code` in the table `OperatorCode`
        pub builtin_code: self::BuiltinOperator,
    }

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for OperatorCode {
        fn default() -> Self {
            Self {
                deprecated_builtin_code: 0,
                custom_code: ::core::default::Default::default(),
                version: 1,
                builtin_code: self::BuiltinOperator::Add,
            }
        }
    }

    impl OperatorCode {
        /// Creates a [OperatorCodeBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> OperatorCodeBuilder<()> {
            OperatorCodeBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(
            builder: &mut ::planus::Builder,
            field_deprecated_builtin_code: impl ::planus::WriteAsDefault<i8, i8>,
            field_custom_code: impl ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            field_version: impl ::planus::WriteAsDefault<i32, i32>,
            field_builtin_code: impl ::planus::WriteAsDefault<
                self::BuiltinOperator,
                self::BuiltinOperator,
            >,
        ) -> ::planus::Offset<Self> {
            let prepared_deprecated_builtin_code =
                field_deprecated_builtin_code.prepare(builder, &0);
            let prepared_custom_code = field_custom_code.prepare(builder);
            let prepared_version = field_version.prepare(builder, &1);
            let prepared_builtin_code =
                field_builtin_code.prepare(builder, &self::BuiltinOperator::Add);

            let mut table_writer: ::planus::table_writer::TableWriter<12> =
                ::core::default::Default::default();
            if prepared_custom_code.is_some() {
                table_writer.write_entry::<::planus::Offset<str>>(1);
            }
            if prepared_version.is_some() {
                table_writer.write_entry::<i32>(2);
            }
            if prepared_builtin_code.is_some() {
                table_writer.write_entry::<self::BuiltinOperator>(3);
            }
            if prepared_deprecated_builtin_code.is_some() {
                table_writer.write_entry::<i8>(0);
            }

            unsafe {
                table_writer.finish(builder, |object_writer| {
                    if let ::core::option::Option::Some(prepared_custom_code) = prepared_custom_code
                    {
                        object_writer.write::<_, _, 4>(&prepared_custom_code);
                    }
                    if let ::core::option::Option::Some(prepared_version) = prepared_version {
                        object_writer.write::<_, _, 4>(&prepared_version);
                    }
                    if let ::core::option::Option::Some(prepared_builtin_code) =
                        prepared_builtin_code
                    {
                        object_writer.write::<_, _, 4>(&prepared_builtin_code);
                    }
                    if let ::core::option::Option::Some(prepared_deprecated_builtin_code) =
                        prepared_deprecated_builtin_code
                    {
                        object_writer.write::<_, _, 1>(&prepared_deprecated_builtin_code);
                    }
                });
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<OperatorCode>> for OperatorCode {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<OperatorCode> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<OperatorCode>> for OperatorCode {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<OperatorCode>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<OperatorCode> for OperatorCode {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<OperatorCode> {
            OperatorCode::create(
                builder,
                self.deprecated_builtin_code,
                &self.custom_code,
                self.version,
                self.builtin_code,
            )
        }
    }

    /// Builder for serializing an instance of the [OperatorCode] type.
    ///
    /// Can be created using the [OperatorCode::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct OperatorCodeBuilder<State>(State);

    impl OperatorCodeBuilder<()> {
        /// Setter for the [`deprecated_builtin_code` field](OperatorCode#structfield.deprecated_builtin_code).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn deprecated_builtin_code<T0>(self, value: T0) -> OperatorCodeBuilder<(T0,)>
        where
            T0: ::planus::WriteAsDefault<i8, i8>,
        {
            OperatorCodeBuilder((value,))
        }

        /// Sets the [`deprecated_builtin_code` field](OperatorCode#structfield.deprecated_builtin_code) to the default value.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn deprecated_builtin_code_as_default(
            self,
        ) -> OperatorCodeBuilder<(::planus::DefaultValue,)> {
            self.deprecated_builtin_code(::planus::DefaultValue)
        }
    }

    impl<T0> OperatorCodeBuilder<(T0,)> {
        /// Setter for the [`custom_code` field](OperatorCode#structfield.custom_code).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn custom_code<T1>(self, value: T1) -> OperatorCodeBuilder<(T0, T1)>
        where
            T1: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
        {
            let (v0,) = self.0;
            OperatorCodeBuilder((v0, value))
        }

        /// Sets the [`custom_code` field](OperatorCode#structfield.custom_code) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn custom_code_as_null(self) -> OperatorCodeBuilder<(T0, ())> {
            self.custom_code(())
        }
    }

    impl<T0, T1> OperatorCodeBuilder<(T0, T1)> {
        /// Setter for the [`version` field](OperatorCode#structfield.version).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn version<T2>(self, value: T2) -> OperatorCodeBuilder<(T0, T1, T2)>
        where
            T2: ::planus::WriteAsDefault<i32, i32>,
        {
            let (v0, v1) = self.0;
            OperatorCodeBuilder((v0, v1, value))
        }

        /// Sets the [`version` field](OperatorCode#structfield.version) to the default value.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn version_as_default(self) -> OperatorCodeBuilder<(T0, T1, ::planus::DefaultValue)> {
            self.version(::planus::DefaultValue)
        }
    }

    impl<T0, T1, T2> OperatorCodeBuilder<(T0, T1, T2)> {
        /// Setter for the [`builtin_code` field](OperatorCode#structfield.builtin_code).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn builtin_code<T3>(self, value: T3) -> OperatorCodeBuilder<(T0, T1, T2, T3)>
        where
            T3: ::planus::WriteAsDefault<self::BuiltinOperator, self::BuiltinOperator>,
        {
            let (v0, v1, v2) = self.0;
            OperatorCodeBuilder((v0, v1, v2, value))
        }

        /// Sets the [`builtin_code` field](OperatorCode#structfield.builtin_code) to the default value.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn builtin_code_as_default(
            self,
        ) -> OperatorCodeBuilder<(T0, T1, T2, ::planus::DefaultValue)> {
            self.builtin_code(::planus::DefaultValue)
        }
    }

    impl<T0, T1, T2, T3> OperatorCodeBuilder<(T0, T1, T2, T3)> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [OperatorCode].
        #[inline]
        pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<OperatorCode>
        where
            Self: ::planus::WriteAsOffset<OperatorCode>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsDefault<i8, i8>,
            T1: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            T2: ::planus::WriteAsDefault<i32, i32>,
            T3: ::planus::WriteAsDefault<self::BuiltinOperator, self::BuiltinOperator>,
        > ::planus::WriteAs<::planus::Offset<OperatorCode>>
        for OperatorCodeBuilder<(T0, T1, T2, T3)>
    {
        type Prepared = ::planus::Offset<OperatorCode>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<OperatorCode> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsDefault<i8, i8>,
            T1: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            T2: ::planus::WriteAsDefault<i32, i32>,
            T3: ::planus::WriteAsDefault<self::BuiltinOperator, self::BuiltinOperator>,
        > ::planus::WriteAsOptional<::planus::Offset<OperatorCode>>
        for OperatorCodeBuilder<(T0, T1, T2, T3)>
    {
        type Prepared = ::planus::Offset<OperatorCode>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<OperatorCode>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl<
            T0: ::planus::WriteAsDefault<i8, i8>,
            T1: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            T2: ::planus::WriteAsDefault<i32, i32>,
            T3: ::planus::WriteAsDefault<self::BuiltinOperator, self::BuiltinOperator>,
        > ::planus::WriteAsOffset<OperatorCode> for OperatorCodeBuilder<(T0, T1, T2, T3)>
    {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<OperatorCode> {
            let (v0, v1, v2, v3) = &self.0;
            OperatorCode::create(builder, v0, v1, v2, v3)
        }
    }

    /// Reference to a deserialized [OperatorCode].
    #[derive(Copy, Clone)]
    pub struct OperatorCodeRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> OperatorCodeRef<'a> {
        /// Getter for the [`deprecated_builtin_code` field](OperatorCode#structfield.deprecated_builtin_code).
        #[inline]
        pub fn deprecated_builtin_code(&self) -> ::planus::Result<i8> {
            ::core::result::Result::Ok(
                self.0
                    .access(0, "OperatorCode", "deprecated_builtin_code")?
                    .unwrap_or(0),
            )
        }

        /// Getter for the [`custom_code` field](OperatorCode#structfield.custom_code).
        #[inline]
        pub fn custom_code(
            &self,
        ) -> ::planus::Result<::core::option::Option<&'a ::core::primitive::str>> {
            self.0.access(1, "OperatorCode", "custom_code")
        }

        /// Getter for the [`version` field](OperatorCode#structfield.version).
        #[inline]
        pub fn version(&self) -> ::planus::Result<i32> {
            ::core::result::Result::Ok(self.0.access(2, "OperatorCode", "version")?.unwrap_or(1))
        }

        /// Getter for the [`builtin_code` field](OperatorCode#structfield.builtin_code).
        #[inline]
        pub fn builtin_code(&self) -> ::planus::Result<self::BuiltinOperator> {
            ::core::result::Result::Ok(
                self.0
                    .access(3, "OperatorCode", "builtin_code")?
                    .unwrap_or(self::BuiltinOperator::Add),
            )
        }
    }

    impl<'a> ::core::fmt::Debug for OperatorCodeRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("OperatorCodeRef");
            f.field("deprecated_builtin_code", &self.deprecated_builtin_code());
            if let ::core::option::Option::Some(field_custom_code) = self.custom_code().transpose()
            {
                f.field("custom_code", &field_custom_code);
            }
            f.field("version", &self.version());
            f.field("builtin_code", &self.builtin_code());
            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<OperatorCodeRef<'a>> for OperatorCode {
        type Error = ::planus::Error;

        #[allow(unreachable_code)]
        fn try_from(value: OperatorCodeRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {
                deprecated_builtin_code: ::core::convert::TryInto::try_into(
                    value.deprecated_builtin_code()?,
                )?,
                custom_code: value.custom_code()?.map(::core::convert::Into::into),
                version: ::core::convert::TryInto::try_into(value.version()?)?,
                builtin_code: ::core::convert::TryInto::try_into(value.builtin_code()?)?,
            })
        }
    }

    impl<'a> ::planus::TableRead<'a> for OperatorCodeRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for OperatorCodeRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location("[OperatorCodeRef]", "get", buffer.offset_from_start)
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<OperatorCode>> for OperatorCode {
        type Value = ::planus::Offset<OperatorCode>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<OperatorCode>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for OperatorCodeRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[OperatorCodeRef]", "read_as_root", 0)
            })
        }
    }

    /// The table `Operator`
    ///
    /// Generated from these locations:
    /// * Table `Operator` in the file `trainer/src/tflite/schema.fbs:318`
    #[derive(Clone, Debug, PartialEq, PartialOrd, ::serde::Serialize, ::serde::Deserialize)]
    pub struct Operator {
        /// The field `opcode_index` in the table `Operator`
        pub opcode_index: u32,
        /// The field `inputs` in the table `Operator`
        pub inputs: ::core::option::Option<::planus::alloc::vec::Vec<i32>>,
        /// The field `outputs` in the table `Operator`
        pub outputs: ::core::option::Option<::planus::alloc::vec::Vec<i32>>,
        /// The field `builtin_options` in the table `Operator`
        pub builtin_options: ::core::option::Option<self::BuiltinOptions>,
    }

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for Operator {
        fn default() -> Self {
            Self {
                opcode_index: 0,
                inputs: ::core::default::Default::default(),
                outputs: ::core::default::Default::default(),
                builtin_options: ::core::default::Default::default(),
            }
        }
    }

    impl Operator {
        /// Creates a [OperatorBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> OperatorBuilder<()> {
            OperatorBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(
            builder: &mut ::planus::Builder,
            field_opcode_index: impl ::planus::WriteAsDefault<u32, u32>,
            field_inputs: impl ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            field_outputs: impl ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            field_builtin_options: impl ::planus::WriteAsOptionalUnion<self::BuiltinOptions>,
        ) -> ::planus::Offset<Self> {
            let prepared_opcode_index = field_opcode_index.prepare(builder, &0);
            let prepared_inputs = field_inputs.prepare(builder);
            let prepared_outputs = field_outputs.prepare(builder);
            let prepared_builtin_options = field_builtin_options.prepare(builder);

            let mut table_writer: ::planus::table_writer::TableWriter<14> =
                ::core::default::Default::default();
            if prepared_opcode_index.is_some() {
                table_writer.write_entry::<u32>(0);
            }
            if prepared_inputs.is_some() {
                table_writer.write_entry::<::planus::Offset<[i32]>>(1);
            }
            if prepared_outputs.is_some() {
                table_writer.write_entry::<::planus::Offset<[i32]>>(2);
            }
            if prepared_builtin_options.is_some() {
                table_writer.write_entry::<::planus::Offset<self::BuiltinOptions>>(4);
            }
            if prepared_builtin_options.is_some() {
                table_writer.write_entry::<u8>(3);
            }

            unsafe {
                table_writer.finish(builder, |object_writer| {
                    if let ::core::option::Option::Some(prepared_opcode_index) =
                        prepared_opcode_index
                    {
                        object_writer.write::<_, _, 4>(&prepared_opcode_index);
                    }
                    if let ::core::option::Option::Some(prepared_inputs) = prepared_inputs {
                        object_writer.write::<_, _, 4>(&prepared_inputs);
                    }
                    if let ::core::option::Option::Some(prepared_outputs) = prepared_outputs {
                        object_writer.write::<_, _, 4>(&prepared_outputs);
                    }
                    if let ::core::option::Option::Some(prepared_builtin_options) =
                        prepared_builtin_options
                    {
                        object_writer.write::<_, _, 4>(&prepared_builtin_options.offset());
                    }
                    if let ::core::option::Option::Some(prepared_builtin_options) =
                        prepared_builtin_options
                    {
                        object_writer.write::<_, _, 1>(&prepared_builtin_options.tag());
                    }
                });
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<Operator>> for Operator {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Operator> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<Operator>> for Operator {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<Operator>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<Operator> for Operator {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Operator> {
            Operator::create(
                builder,
                self.opcode_index,
                &self.inputs,
                &self.outputs,
                &self.builtin_options,
            )
        }
    }

    /// Builder for serializing an instance of the [Operator] type.
    ///
    /// Can be created using the [Operator::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct OperatorBuilder<State>(State);

    impl OperatorBuilder<()> {
        /// Setter for the [`opcode_index` field](Operator#structfield.opcode_index).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn opcode_index<T0>(self, value: T0) -> OperatorBuilder<(T0,)>
        where
            T0: ::planus::WriteAsDefault<u32, u32>,
        {
            OperatorBuilder((value,))
        }

        /// Sets the [`opcode_index` field](Operator#structfield.opcode_index) to the default value.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn opcode_index_as_default(self) -> OperatorBuilder<(::planus::DefaultValue,)> {
            self.opcode_index(::planus::DefaultValue)
        }
    }

    impl<T0> OperatorBuilder<(T0,)> {
        /// Setter for the [`inputs` field](Operator#structfield.inputs).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn inputs<T1>(self, value: T1) -> OperatorBuilder<(T0, T1)>
        where
            T1: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
        {
            let (v0,) = self.0;
            OperatorBuilder((v0, value))
        }

        /// Sets the [`inputs` field](Operator#structfield.inputs) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn inputs_as_null(self) -> OperatorBuilder<(T0, ())> {
            self.inputs(())
        }
    }

    impl<T0, T1> OperatorBuilder<(T0, T1)> {
        /// Setter for the [`outputs` field](Operator#structfield.outputs).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn outputs<T2>(self, value: T2) -> OperatorBuilder<(T0, T1, T2)>
        where
            T2: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
        {
            let (v0, v1) = self.0;
            OperatorBuilder((v0, v1, value))
        }

        /// Sets the [`outputs` field](Operator#structfield.outputs) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn outputs_as_null(self) -> OperatorBuilder<(T0, T1, ())> {
            self.outputs(())
        }
    }

    impl<T0, T1, T2> OperatorBuilder<(T0, T1, T2)> {
        /// Setter for the [`builtin_options` field](Operator#structfield.builtin_options).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn builtin_options<T3>(self, value: T3) -> OperatorBuilder<(T0, T1, T2, T3)>
        where
            T3: ::planus::WriteAsOptionalUnion<self::BuiltinOptions>,
        {
            let (v0, v1, v2) = self.0;
            OperatorBuilder((v0, v1, v2, value))
        }

        /// Sets the [`builtin_options` field](Operator#structfield.builtin_options) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn builtin_options_as_null(self) -> OperatorBuilder<(T0, T1, T2, ())> {
            self.builtin_options(())
        }
    }

    impl<T0, T1, T2, T3> OperatorBuilder<(T0, T1, T2, T3)> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [Operator].
        #[inline]
        pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<Operator>
        where
            Self: ::planus::WriteAsOffset<Operator>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsDefault<u32, u32>,
            T1: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            T2: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            T3: ::planus::WriteAsOptionalUnion<self::BuiltinOptions>,
        > ::planus::WriteAs<::planus::Offset<Operator>> for OperatorBuilder<(T0, T1, T2, T3)>
    {
        type Prepared = ::planus::Offset<Operator>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Operator> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsDefault<u32, u32>,
            T1: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            T2: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            T3: ::planus::WriteAsOptionalUnion<self::BuiltinOptions>,
        > ::planus::WriteAsOptional<::planus::Offset<Operator>>
        for OperatorBuilder<(T0, T1, T2, T3)>
    {
        type Prepared = ::planus::Offset<Operator>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<Operator>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl<
            T0: ::planus::WriteAsDefault<u32, u32>,
            T1: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            T2: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            T3: ::planus::WriteAsOptionalUnion<self::BuiltinOptions>,
        > ::planus::WriteAsOffset<Operator> for OperatorBuilder<(T0, T1, T2, T3)>
    {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Operator> {
            let (v0, v1, v2, v3) = &self.0;
            Operator::create(builder, v0, v1, v2, v3)
        }
    }

    /// Reference to a deserialized [Operator].
    #[derive(Copy, Clone)]
    pub struct OperatorRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> OperatorRef<'a> {
        /// Getter for the [`opcode_index` field](Operator#structfield.opcode_index).
        #[inline]
        pub fn opcode_index(&self) -> ::planus::Result<u32> {
            ::core::result::Result::Ok(self.0.access(0, "Operator", "opcode_index")?.unwrap_or(0))
        }

        /// Getter for the [`inputs` field](Operator#structfield.inputs).
        #[inline]
        pub fn inputs(
            &self,
        ) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, i32>>> {
            self.0.access(1, "Operator", "inputs")
        }

        /// Getter for the [`outputs` field](Operator#structfield.outputs).
        #[inline]
        pub fn outputs(
            &self,
        ) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, i32>>> {
            self.0.access(2, "Operator", "outputs")
        }

        /// Getter for the [`builtin_options` field](Operator#structfield.builtin_options).
        #[inline]
        pub fn builtin_options(
            &self,
        ) -> ::planus::Result<::core::option::Option<self::BuiltinOptionsRef<'a>>> {
            self.0.access_union(3, "Operator", "builtin_options")
        }
    }

    impl<'a> ::core::fmt::Debug for OperatorRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("OperatorRef");
            f.field("opcode_index", &self.opcode_index());
            if let ::core::option::Option::Some(field_inputs) = self.inputs().transpose() {
                f.field("inputs", &field_inputs);
            }
            if let ::core::option::Option::Some(field_outputs) = self.outputs().transpose() {
                f.field("outputs", &field_outputs);
            }
            if let ::core::option::Option::Some(field_builtin_options) =
                self.builtin_options().transpose()
            {
                f.field("builtin_options", &field_builtin_options);
            }
            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<OperatorRef<'a>> for Operator {
        type Error = ::planus::Error;

        #[allow(unreachable_code)]
        fn try_from(value: OperatorRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {
                opcode_index: ::core::convert::TryInto::try_into(value.opcode_index()?)?,
                inputs: if let ::core::option::Option::Some(inputs) = value.inputs()? {
                    ::core::option::Option::Some(inputs.to_vec()?)
                } else {
                    ::core::option::Option::None
                },
                outputs: if let ::core::option::Option::Some(outputs) = value.outputs()? {
                    ::core::option::Option::Some(outputs.to_vec()?)
                } else {
                    ::core::option::Option::None
                },
                builtin_options: if let ::core::option::Option::Some(builtin_options) =
                    value.builtin_options()?
                {
                    ::core::option::Option::Some(::core::convert::TryInto::try_into(
                        builtin_options,
                    )?)
                } else {
                    ::core::option::Option::None
                },
            })
        }
    }

    impl<'a> ::planus::TableRead<'a> for OperatorRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for OperatorRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location("[OperatorRef]", "get", buffer.offset_from_start)
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<Operator>> for Operator {
        type Value = ::planus::Offset<Operator>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<Operator>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for OperatorRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[OperatorRef]", "read_as_root", 0)
            })
        }
    }

    /// The table `SubGraph`
    ///
    /// Generated from these locations:
    /// * Table `SubGraph` in the file `trainer/src/tflite/schema.fbs:325`
    #[derive(Clone, Debug, PartialEq, PartialOrd, ::serde::Serialize, ::serde::Deserialize)]
    pub struct SubGraph {
        /// The field `tensors` in the table `SubGraph`
        pub tensors: ::core::option::Option<::planus::alloc::vec::Vec<self::Tensor>>,
        /// The field `inputs` in the table `SubGraph`
        pub inputs: ::core::option::Option<::planus::alloc::vec::Vec<i32>>,
        /// The field `outputs` in the table `SubGraph`
        pub outputs: ::core::option::Option<::planus::alloc::vec::Vec<i32>>,
        /// The field `operators` in the table `SubGraph`
        pub operators: ::core::option::Option<::planus::alloc::vec::Vec<self::Operator>>,
        /// The field `name` in the table `SubGraph`
        pub name: ::core::option::Option<::planus::alloc::string::String>,
    }

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for SubGraph {
        fn default() -> Self {
            Self {
                tensors: ::core::default::Default::default(),
                inputs: ::core::default::Default::default(),
                outputs: ::core::default::Default::default(),
                operators: ::core::default::Default::default(),
                name: ::core::default::Default::default(),
            }
        }
    }

    impl SubGraph {
        /// Creates a [SubGraphBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> SubGraphBuilder<()> {
            SubGraphBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(
            builder: &mut ::planus::Builder,
            field_tensors: impl ::planus::WriteAsOptional<
                ::planus::Offset<[::planus::Offset<self::Tensor>]>,
            >,
            field_inputs: impl ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            field_outputs: impl ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            field_operators: impl ::planus::WriteAsOptional<
                ::planus::Offset<[::planus::Offset<self::Operator>]>,
            >,
            field_name: impl ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
        ) -> ::planus::Offset<Self> {
            let prepared_tensors = field_tensors.prepare(builder);
            let prepared_inputs = field_inputs.prepare(builder);
            let prepared_outputs = field_outputs.prepare(builder);
            let prepared_operators = field_operators.prepare(builder);
            let prepared_name = field_name.prepare(builder);

            let mut table_writer: ::planus::table_writer::TableWriter<14> =
                ::core::default::Default::default();
            if prepared_tensors.is_some() {
                table_writer.write_entry::<::planus::Offset<[::planus::Offset<self::Tensor>]>>(0);
            }
            if prepared_inputs.is_some() {
                table_writer.write_entry::<::planus::Offset<[i32]>>(1);
            }
            if prepared_outputs.is_some() {
                table_writer.write_entry::<::planus::Offset<[i32]>>(2);
            }
            if prepared_operators.is_some() {
                table_writer.write_entry::<::planus::Offset<[::planus::Offset<self::Operator>]>>(3);
            }
            if prepared_name.is_some() {
                table_writer.write_entry::<::planus::Offset<str>>(4);
            }

            unsafe {
                table_writer.finish(builder, |object_writer| {
                    if let ::core::option::Option::Some(prepared_tensors) = prepared_tensors {
                        object_writer.write::<_, _, 4>(&prepared_tensors);
                    }
                    if let ::core::option::Option::Some(prepared_inputs) = prepared_inputs {
                        object_writer.write::<_, _, 4>(&prepared_inputs);
                    }
                    if let ::core::option::Option::Some(prepared_outputs) = prepared_outputs {
                        object_writer.write::<_, _, 4>(&prepared_outputs);
                    }
                    if let ::core::option::Option::Some(prepared_operators) = prepared_operators {
                        object_writer.write::<_, _, 4>(&prepared_operators);
                    }
                    if let ::core::option::Option::Some(prepared_name) = prepared_name {
                        object_writer.write::<_, _, 4>(&prepared_name);
                    }
                });
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<SubGraph>> for SubGraph {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<SubGraph> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<SubGraph>> for SubGraph {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<SubGraph>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<SubGraph> for SubGraph {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<SubGraph> {
            SubGraph::create(
                builder,
                &self.tensors,
                &self.inputs,
                &self.outputs,
                &self.operators,
                &self.name,
            )
        }
    }

    /// Builder for serializing an instance of the [SubGraph] type.
    ///
    /// Can be created using the [SubGraph::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct SubGraphBuilder<State>(State);

    impl SubGraphBuilder<()> {
        /// Setter for the [`tensors` field](SubGraph#structfield.tensors).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn tensors<T0>(self, value: T0) -> SubGraphBuilder<(T0,)>
        where
            T0: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::Tensor>]>>,
        {
            SubGraphBuilder((value,))
        }

        /// Sets the [`tensors` field](SubGraph#structfield.tensors) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn tensors_as_null(self) -> SubGraphBuilder<((),)> {
            self.tensors(())
        }
    }

    impl<T0> SubGraphBuilder<(T0,)> {
        /// Setter for the [`inputs` field](SubGraph#structfield.inputs).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn inputs<T1>(self, value: T1) -> SubGraphBuilder<(T0, T1)>
        where
            T1: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
        {
            let (v0,) = self.0;
            SubGraphBuilder((v0, value))
        }

        /// Sets the [`inputs` field](SubGraph#structfield.inputs) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn inputs_as_null(self) -> SubGraphBuilder<(T0, ())> {
            self.inputs(())
        }
    }

    impl<T0, T1> SubGraphBuilder<(T0, T1)> {
        /// Setter for the [`outputs` field](SubGraph#structfield.outputs).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn outputs<T2>(self, value: T2) -> SubGraphBuilder<(T0, T1, T2)>
        where
            T2: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
        {
            let (v0, v1) = self.0;
            SubGraphBuilder((v0, v1, value))
        }

        /// Sets the [`outputs` field](SubGraph#structfield.outputs) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn outputs_as_null(self) -> SubGraphBuilder<(T0, T1, ())> {
            self.outputs(())
        }
    }

    impl<T0, T1, T2> SubGraphBuilder<(T0, T1, T2)> {
        /// Setter for the [`operators` field](SubGraph#structfield.operators).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn operators<T3>(self, value: T3) -> SubGraphBuilder<(T0, T1, T2, T3)>
        where
            T3: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::Operator>]>>,
        {
            let (v0, v1, v2) = self.0;
            SubGraphBuilder((v0, v1, v2, value))
        }

        /// Sets the [`operators` field](SubGraph#structfield.operators) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn operators_as_null(self) -> SubGraphBuilder<(T0, T1, T2, ())> {
            self.operators(())
        }
    }

    impl<T0, T1, T2, T3> SubGraphBuilder<(T0, T1, T2, T3)> {
        /// Setter for the [`name` field](SubGraph#structfield.name).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn name<T4>(self, value: T4) -> SubGraphBuilder<(T0, T1, T2, T3, T4)>
        where
            T4: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
        {
            let (v0, v1, v2, v3) = self.0;
            SubGraphBuilder((v0, v1, v2, v3, value))
        }

        /// Sets the [`name` field](SubGraph#structfield.name) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn name_as_null(self) -> SubGraphBuilder<(T0, T1, T2, T3, ())> {
            self.name(())
        }
    }

    impl<T0, T1, T2, T3, T4> SubGraphBuilder<(T0, T1, T2, T3, T4)> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [SubGraph].
        #[inline]
        pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<SubGraph>
        where
            Self: ::planus::WriteAsOffset<SubGraph>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::Tensor>]>>,
            T1: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            T2: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            T3: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::Operator>]>>,
            T4: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
        > ::planus::WriteAs<::planus::Offset<SubGraph>> for SubGraphBuilder<(T0, T1, T2, T3, T4)>
    {
        type Prepared = ::planus::Offset<SubGraph>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<SubGraph> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::Tensor>]>>,
            T1: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            T2: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            T3: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::Operator>]>>,
            T4: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
        > ::planus::WriteAsOptional<::planus::Offset<SubGraph>>
        for SubGraphBuilder<(T0, T1, T2, T3, T4)>
    {
        type Prepared = ::planus::Offset<SubGraph>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<SubGraph>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl<
            T0: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::Tensor>]>>,
            T1: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            T2: ::planus::WriteAsOptional<::planus::Offset<[i32]>>,
            T3: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::Operator>]>>,
            T4: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
        > ::planus::WriteAsOffset<SubGraph> for SubGraphBuilder<(T0, T1, T2, T3, T4)>
    {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<SubGraph> {
            let (v0, v1, v2, v3, v4) = &self.0;
            SubGraph::create(builder, v0, v1, v2, v3, v4)
        }
    }

    /// Reference to a deserialized [SubGraph].
    #[derive(Copy, Clone)]
    pub struct SubGraphRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> SubGraphRef<'a> {
        /// Getter for the [`tensors` field](SubGraph#structfield.tensors).
        #[inline]
        pub fn tensors(
            &self,
        ) -> ::planus::Result<
            ::core::option::Option<::planus::Vector<'a, ::planus::Result<self::TensorRef<'a>>>>,
        > {
            self.0.access(0, "SubGraph", "tensors")
        }

        /// Getter for the [`inputs` field](SubGraph#structfield.inputs).
        #[inline]
        pub fn inputs(
            &self,
        ) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, i32>>> {
            self.0.access(1, "SubGraph", "inputs")
        }

        /// Getter for the [`outputs` field](SubGraph#structfield.outputs).
        #[inline]
        pub fn outputs(
            &self,
        ) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, i32>>> {
            self.0.access(2, "SubGraph", "outputs")
        }

        /// Getter for the [`operators` field](SubGraph#structfield.operators).
        #[inline]
        pub fn operators(
            &self,
        ) -> ::planus::Result<
            ::core::option::Option<::planus::Vector<'a, ::planus::Result<self::OperatorRef<'a>>>>,
        > {
            self.0.access(3, "SubGraph", "operators")
        }

        /// Getter for the [`name` field](SubGraph#structfield.name).
        #[inline]
        pub fn name(&self) -> ::planus::Result<::core::option::Option<&'a ::core::primitive::str>> {
            self.0.access(4, "SubGraph", "name")
        }
    }

    impl<'a> ::core::fmt::Debug for SubGraphRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("SubGraphRef");
            if let ::core::option::Option::Some(field_tensors) = self.tensors().transpose() {
                f.field("tensors", &field_tensors);
            }
            if let ::core::option::Option::Some(field_inputs) = self.inputs().transpose() {
                f.field("inputs", &field_inputs);
            }
            if let ::core::option::Option::Some(field_outputs) = self.outputs().transpose() {
                f.field("outputs", &field_outputs);
            }
            if let ::core::option::Option::Some(field_operators) = self.operators().transpose() {
                f.field("operators", &field_operators);
            }
            if let ::core::option::Option::Some(field_name) = self.name().transpose() {
                f.field("name", &field_name);
            }
            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<SubGraphRef<'a>> for SubGraph {
        type Error = ::planus::Error;

        #[allow(unreachable_code)]
        fn try_from(value: SubGraphRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {
                tensors: if let ::core::option::Option::Some(tensors) = value.tensors()? {
                    ::core::option::Option::Some(tensors.to_vec_result()?)
                } else {
                    ::core::option::Option::None
                },
                inputs: if let ::core::option::Option::Some(inputs) = value.inputs()? {
                    ::core::option::Option::Some(inputs.to_vec()?)
                } else {
                    ::core::option::Option::None
                },
                outputs: if let ::core::option::Option::Some(outputs) = value.outputs()? {
                    ::core::option::Option::Some(outputs.to_vec()?)
                } else {
                    ::core::option::Option::None
                },
                operators: if let ::core::option::Option::Some(operators) = value.operators()? {
                    ::core::option::Option::Some(operators.to_vec_result()?)
                } else {
                    ::core::option::Option::None
                },
                name: value.name()?.map(::core::convert::Into::into),
            })
        }
    }

    impl<'a> ::planus::TableRead<'a> for SubGraphRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for SubGraphRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location("[SubGraphRef]", "get", buffer.offset_from_start)
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<SubGraph>> for SubGraph {
        type Value = ::planus::Offset<SubGraph>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<SubGraph>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for SubGraphRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| {
                error_kind.with_error_location("[SubGraphRef]", "read_as_root", 0)
            })
        }
    }

    /// The table `Buffer`
    ///
    /// Generated from these locations:
    /// * Table `Buffer` in the file `trainer/src/tflite/schema.fbs:333`
    #[derive(
        Clone, Debug, PartialEq, PartialOrd, Eq, Ord, Hash, ::serde::Serialize, ::serde::Deserialize,
    )]
    pub struct Buffer {
        /// The field `data` in the table `Buffer`
        pub data: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
        /// The field `offset` in the table `Buffer`
        pub offset: u64,
        /// The field `size` in the table `Buffer`
        pub size: u64,
    }

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for Buffer {
        fn default() -> Self {
            Self {
                data: ::core::default::Default::default(),
                offset: 0,
                size: 0,
            }
        }
    }

    impl Buffer {
        /// Creates a [BufferBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> BufferBuilder<()> {
            BufferBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(
            builder: &mut ::planus::Builder,
            field_data: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            field_offset: impl ::planus::WriteAsDefault<u64, u64>,
            field_size: impl ::planus::WriteAsDefault<u64, u64>,
        ) -> ::planus::Offset<Self> {
            let prepared_data = field_data.prepare(builder);
            let prepared_offset = field_offset.prepare(builder, &0);
            let prepared_size = field_size.prepare(builder, &0);

            let mut table_writer: ::planus::table_writer::TableWriter<10> =
                ::core::default::Default::default();
            if prepared_offset.is_some() {
                table_writer.write_entry::<u64>(1);
            }
            if prepared_size.is_some() {
                table_writer.write_entry::<u64>(2);
            }
            if prepared_data.is_some() {
                table_writer.write_entry::<::planus::Offset<[u8]>>(0);
            }

            unsafe {
                table_writer.finish(builder, |object_writer| {
                    if let ::core::option::Option::Some(prepared_offset) = prepared_offset {
                        object_writer.write::<_, _, 8>(&prepared_offset);
                    }
                    if let ::core::option::Option::Some(prepared_size) = prepared_size {
                        object_writer.write::<_, _, 8>(&prepared_size);
                    }
                    if let ::core::option::Option::Some(prepared_data) = prepared_data {
                        object_writer.write::<_, _, 4>(&prepared_data);
                    }
                });
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<Buffer>> for Buffer {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Buffer> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<Buffer>> for Buffer {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<Buffer>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<Buffer> for Buffer {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Buffer> {
            Buffer::create(builder, &self.data, self.offset, self.size)
        }
    }

    /// Builder for serializing an instance of the [Buffer] type.
    ///
    /// Can be created using the [Buffer::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct BufferBuilder<State>(State);

    impl BufferBuilder<()> {
        /// Setter for the [`data` field](Buffer#structfield.data).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn data<T0>(self, value: T0) -> BufferBuilder<(T0,)>
        where
            T0: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
        {
            BufferBuilder((value,))
        }

        /// Sets the [`data` field](Buffer#structfield.data) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn data_as_null(self) -> BufferBuilder<((),)> {
            self.data(())
        }
    }

    impl<T0> BufferBuilder<(T0,)> {
        /// Setter for the [`offset` field](Buffer#structfield.offset).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn offset<T1>(self, value: T1) -> BufferBuilder<(T0, T1)>
        where
            T1: ::planus::WriteAsDefault<u64, u64>,
        {
            let (v0,) = self.0;
            BufferBuilder((v0, value))
        }

        /// Sets the [`offset` field](Buffer#structfield.offset) to the default value.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn offset_as_default(self) -> BufferBuilder<(T0, ::planus::DefaultValue)> {
            self.offset(::planus::DefaultValue)
        }
    }

    impl<T0, T1> BufferBuilder<(T0, T1)> {
        /// Setter for the [`size` field](Buffer#structfield.size).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn size<T2>(self, value: T2) -> BufferBuilder<(T0, T1, T2)>
        where
            T2: ::planus::WriteAsDefault<u64, u64>,
        {
            let (v0, v1) = self.0;
            BufferBuilder((v0, v1, value))
        }

        /// Sets the [`size` field](Buffer#structfield.size) to the default value.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn size_as_default(self) -> BufferBuilder<(T0, T1, ::planus::DefaultValue)> {
            self.size(::planus::DefaultValue)
        }
    }

    impl<T0, T1, T2> BufferBuilder<(T0, T1, T2)> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [Buffer].
        #[inline]
        pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<Buffer>
        where
            Self: ::planus::WriteAsOffset<Buffer>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            T1: ::planus::WriteAsDefault<u64, u64>,
            T2: ::planus::WriteAsDefault<u64, u64>,
        > ::planus::WriteAs<::planus::Offset<Buffer>> for BufferBuilder<(T0, T1, T2)>
    {
        type Prepared = ::planus::Offset<Buffer>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Buffer> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            T1: ::planus::WriteAsDefault<u64, u64>,
            T2: ::planus::WriteAsDefault<u64, u64>,
        > ::planus::WriteAsOptional<::planus::Offset<Buffer>> for BufferBuilder<(T0, T1, T2)>
    {
        type Prepared = ::planus::Offset<Buffer>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<Buffer>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl<
            T0: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            T1: ::planus::WriteAsDefault<u64, u64>,
            T2: ::planus::WriteAsDefault<u64, u64>,
        > ::planus::WriteAsOffset<Buffer> for BufferBuilder<(T0, T1, T2)>
    {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Buffer> {
            let (v0, v1, v2) = &self.0;
            Buffer::create(builder, v0, v1, v2)
        }
    }

    /// Reference to a deserialized [Buffer].
    #[derive(Copy, Clone)]
    pub struct BufferRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> BufferRef<'a> {
        /// Getter for the [`data` field](Buffer#structfield.data).
        #[inline]
        pub fn data(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
            self.0.access(0, "Buffer", "data")
        }

        /// Getter for the [`offset` field](Buffer#structfield.offset).
        #[inline]
        pub fn offset(&self) -> ::planus::Result<u64> {
            ::core::result::Result::Ok(self.0.access(1, "Buffer", "offset")?.unwrap_or(0))
        }

        /// Getter for the [`size` field](Buffer#structfield.size).
        #[inline]
        pub fn size(&self) -> ::planus::Result<u64> {
            ::core::result::Result::Ok(self.0.access(2, "Buffer", "size")?.unwrap_or(0))
        }
    }

    impl<'a> ::core::fmt::Debug for BufferRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("BufferRef");
            if let ::core::option::Option::Some(field_data) = self.data().transpose() {
                f.field("data", &field_data);
            }
            f.field("offset", &self.offset());
            f.field("size", &self.size());
            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<BufferRef<'a>> for Buffer {
        type Error = ::planus::Error;

        #[allow(unreachable_code)]
        fn try_from(value: BufferRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {
                data: value.data()?.map(|v| v.to_vec()),
                offset: ::core::convert::TryInto::try_into(value.offset()?)?,
                size: ::core::convert::TryInto::try_into(value.size()?)?,
            })
        }
    }

    impl<'a> ::planus::TableRead<'a> for BufferRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for BufferRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location("[BufferRef]", "get", buffer.offset_from_start)
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<Buffer>> for Buffer {
        type Value = ::planus::Offset<Buffer>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<Buffer>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for BufferRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| error_kind.with_error_location("[BufferRef]", "read_as_root", 0))
        }
    }

    /// The table `Model`
    ///
    /// Generated from these locations:
    /// * Table `Model` in the file `trainer/src/tflite/schema.fbs:339`
    #[derive(Clone, Debug, PartialEq, PartialOrd, ::serde::Serialize, ::serde::Deserialize)]
    pub struct Model {
        /// The field `version` in the table `Model`
        pub version: u32,
        /// The field `operator_codes` in the table `Model`
        pub operator_codes: ::core::option::Option<::planus::alloc::vec::Vec<self::OperatorCode>>,
        /// The field `subgraphs` in the table `Model`
        pub subgraphs: ::core::option::Option<::planus::alloc::vec::Vec<self::SubGraph>>,
        /// The field `description` in the table `Model`
        pub description: ::core::option::Option<::planus::alloc::string::String>,
        /// The field `buffers` in the table `Model`
        pub buffers: ::core::option::Option<::planus::alloc::vec::Vec<self::Buffer>>,
    }

    #[allow(clippy::derivable_impls)]
    impl ::core::default::Default for Model {
        fn default() -> Self {
            Self {
                version: 0,
                operator_codes: ::core::default::Default::default(),
                subgraphs: ::core::default::Default::default(),
                description: ::core::default::Default::default(),
                buffers: ::core::default::Default::default(),
            }
        }
    }

    impl Model {
        /// Creates a [ModelBuilder] for serializing an instance of this table.
        #[inline]
        pub fn builder() -> ModelBuilder<()> {
            ModelBuilder(())
        }

        #[allow(clippy::too_many_arguments)]
        pub fn create(
            builder: &mut ::planus::Builder,
            field_version: impl ::planus::WriteAsDefault<u32, u32>,
            field_operator_codes: impl ::planus::WriteAsOptional<
                ::planus::Offset<[::planus::Offset<self::OperatorCode>]>,
            >,
            field_subgraphs: impl ::planus::WriteAsOptional<
                ::planus::Offset<[::planus::Offset<self::SubGraph>]>,
            >,
            field_description: impl ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            field_buffers: impl ::planus::WriteAsOptional<
                ::planus::Offset<[::planus::Offset<self::Buffer>]>,
            >,
        ) -> ::planus::Offset<Self> {
            let prepared_version = field_version.prepare(builder, &0);
            let prepared_operator_codes = field_operator_codes.prepare(builder);
            let prepared_subgraphs = field_subgraphs.prepare(builder);
            let prepared_description = field_description.prepare(builder);
            let prepared_buffers = field_buffers.prepare(builder);

            let mut table_writer: ::planus::table_writer::TableWriter<14> =
                ::core::default::Default::default();
            if prepared_version.is_some() {
                table_writer.write_entry::<u32>(0);
            }
            if prepared_operator_codes.is_some() {
                table_writer
                    .write_entry::<::planus::Offset<[::planus::Offset<self::OperatorCode>]>>(1);
            }
            if prepared_subgraphs.is_some() {
                table_writer.write_entry::<::planus::Offset<[::planus::Offset<self::SubGraph>]>>(2);
            }
            if prepared_description.is_some() {
                table_writer.write_entry::<::planus::Offset<str>>(3);
            }
            if prepared_buffers.is_some() {
                table_writer.write_entry::<::planus::Offset<[::planus::Offset<self::Buffer>]>>(4);
            }

            unsafe {
                table_writer.finish(builder, |object_writer| {
                    if let ::core::option::Option::Some(prepared_version) = prepared_version {
                        object_writer.write::<_, _, 4>(&prepared_version);
                    }
                    if let ::core::option::Option::Some(prepared_operator_codes) =
                        prepared_operator_codes
                    {
                        object_writer.write::<_, _, 4>(&prepared_operator_codes);
                    }
                    if let ::core::option::Option::Some(prepared_subgraphs) = prepared_subgraphs {
                        object_writer.write::<_, _, 4>(&prepared_subgraphs);
                    }
                    if let ::core::option::Option::Some(prepared_description) = prepared_description
                    {
                        object_writer.write::<_, _, 4>(&prepared_description);
                    }
                    if let ::core::option::Option::Some(prepared_buffers) = prepared_buffers {
                        object_writer.write::<_, _, 4>(&prepared_buffers);
                    }
                });
            }
            builder.current_offset()
        }
    }

    impl ::planus::WriteAs<::planus::Offset<Model>> for Model {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Model> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl ::planus::WriteAsOptional<::planus::Offset<Model>> for Model {
        type Prepared = ::planus::Offset<Self>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<Model>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl ::planus::WriteAsOffset<Model> for Model {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Model> {
            Model::create(
                builder,
                self.version,
                &self.operator_codes,
                &self.subgraphs,
                &self.description,
                &self.buffers,
            )
        }
    }

    /// Builder for serializing an instance of the [Model] type.
    ///
    /// Can be created using the [Model::builder] method.
    #[derive(Debug)]
    #[must_use]
    pub struct ModelBuilder<State>(State);

    impl ModelBuilder<()> {
        /// Setter for the [`version` field](Model#structfield.version).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn version<T0>(self, value: T0) -> ModelBuilder<(T0,)>
        where
            T0: ::planus::WriteAsDefault<u32, u32>,
        {
            ModelBuilder((value,))
        }

        /// Sets the [`version` field](Model#structfield.version) to the default value.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn version_as_default(self) -> ModelBuilder<(::planus::DefaultValue,)> {
            self.version(::planus::DefaultValue)
        }
    }

    impl<T0> ModelBuilder<(T0,)> {
        /// Setter for the [`operator_codes` field](Model#structfield.operator_codes).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn operator_codes<T1>(self, value: T1) -> ModelBuilder<(T0, T1)>
        where
            T1: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::OperatorCode>]>>,
        {
            let (v0,) = self.0;
            ModelBuilder((v0, value))
        }

        /// Sets the [`operator_codes` field](Model#structfield.operator_codes) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn operator_codes_as_null(self) -> ModelBuilder<(T0, ())> {
            self.operator_codes(())
        }
    }

    impl<T0, T1> ModelBuilder<(T0, T1)> {
        /// Setter for the [`subgraphs` field](Model#structfield.subgraphs).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn subgraphs<T2>(self, value: T2) -> ModelBuilder<(T0, T1, T2)>
        where
            T2: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::SubGraph>]>>,
        {
            let (v0, v1) = self.0;
            ModelBuilder((v0, v1, value))
        }

        /// Sets the [`subgraphs` field](Model#structfield.subgraphs) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn subgraphs_as_null(self) -> ModelBuilder<(T0, T1, ())> {
            self.subgraphs(())
        }
    }

    impl<T0, T1, T2> ModelBuilder<(T0, T1, T2)> {
        /// Setter for the [`description` field](Model#structfield.description).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn description<T3>(self, value: T3) -> ModelBuilder<(T0, T1, T2, T3)>
        where
            T3: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
        {
            let (v0, v1, v2) = self.0;
            ModelBuilder((v0, v1, v2, value))
        }

        /// Sets the [`description` field](Model#structfield.description) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn description_as_null(self) -> ModelBuilder<(T0, T1, T2, ())> {
            self.description(())
        }
    }

    impl<T0, T1, T2, T3> ModelBuilder<(T0, T1, T2, T3)> {
        /// Setter for the [`buffers` field](Model#structfield.buffers).
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn buffers<T4>(self, value: T4) -> ModelBuilder<(T0, T1, T2, T3, T4)>
        where
            T4: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::Buffer>]>>,
        {
            let (v0, v1, v2, v3) = self.0;
            ModelBuilder((v0, v1, v2, v3, value))
        }

        /// Sets the [`buffers` field](Model#structfield.buffers) to null.
        #[inline]
        #[allow(clippy::type_complexity)]
        pub fn buffers_as_null(self) -> ModelBuilder<(T0, T1, T2, T3, ())> {
            self.buffers(())
        }
    }

    impl<T0, T1, T2, T3, T4> ModelBuilder<(T0, T1, T2, T3, T4)> {
        /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [Model].
        #[inline]
        pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<Model>
        where
            Self: ::planus::WriteAsOffset<Model>,
        {
            ::planus::WriteAsOffset::prepare(&self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsDefault<u32, u32>,
            T1: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::OperatorCode>]>>,
            T2: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::SubGraph>]>>,
            T3: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            T4: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::Buffer>]>>,
        > ::planus::WriteAs<::planus::Offset<Model>> for ModelBuilder<(T0, T1, T2, T3, T4)>
    {
        type Prepared = ::planus::Offset<Model>;

        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Model> {
            ::planus::WriteAsOffset::prepare(self, builder)
        }
    }

    impl<
            T0: ::planus::WriteAsDefault<u32, u32>,
            T1: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::OperatorCode>]>>,
            T2: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::SubGraph>]>>,
            T3: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            T4: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::Buffer>]>>,
        > ::planus::WriteAsOptional<::planus::Offset<Model>>
        for ModelBuilder<(T0, T1, T2, T3, T4)>
    {
        type Prepared = ::planus::Offset<Model>;

        #[inline]
        fn prepare(
            &self,
            builder: &mut ::planus::Builder,
        ) -> ::core::option::Option<::planus::Offset<Model>> {
            ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
        }
    }

    impl<
            T0: ::planus::WriteAsDefault<u32, u32>,
            T1: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::OperatorCode>]>>,
            T2: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::SubGraph>]>>,
            T3: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            T4: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::Buffer>]>>,
        > ::planus::WriteAsOffset<Model> for ModelBuilder<(T0, T1, T2, T3, T4)>
    {
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Model> {
            let (v0, v1, v2, v3, v4) = &self.0;
            Model::create(builder, v0, v1, v2, v3, v4)
        }
    }

    /// Reference to a deserialized [Model].
    #[derive(Copy, Clone)]
    pub struct ModelRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

    impl<'a> ModelRef<'a> {
        /// Getter for the [`version` field](Model#structfield.version).
        #[inline]
        pub fn version(&self) -> ::planus::Result<u32> {
            ::core::result::Result::Ok(self.0.access(0, "Model", "version")?.unwrap_or(0))
        }

        /// Getter for the [`operator_codes` field](Model#structfield.operator_codes).
        #[inline]
        pub fn operator_codes(
            &self,
        ) -> ::planus::Result<
            ::core::option::Option<
                ::planus::Vector<'a, ::planus::Result<self::OperatorCodeRef<'a>>>,
            >,
        > {
            self.0.access(1, "Model", "operator_codes")
        }

        /// Getter for the [`subgraphs` field](Model#structfield.subgraphs).
        #[inline]
        pub fn subgraphs(
            &self,
        ) -> ::planus::Result<
            ::core::option::Option<::planus::Vector<'a, ::planus::Result<self::SubGraphRef<'a>>>>,
        > {
            self.0.access(2, "Model", "subgraphs")
        }

        /// Getter for the [`description` field](Model#structfield.description).
        #[inline]
        pub fn description(
            &self,
        ) -> ::planus::Result<::core::option::Option<&'a ::core::primitive::str>> {
            self.0.access(3, "Model", "description")
        }

        /// Getter for the [`buffers` field](Model#structfield.buffers).
        #[inline]
        pub fn buffers(
            &self,
        ) -> ::planus::Result<
            ::core::option::Option<::planus::Vector<'a, ::planus::Result<self::BufferRef<'a>>>>,
        > {
            self.0.access(4, "Model", "buffers")
        }
    }

    impl<'a> ::core::fmt::Debug for ModelRef<'a> {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            let mut f = f.debug_struct("ModelRef");
            f.field("version", &self.version());
            if let ::core::option::Option::Some(field_operator_codes) =
                self.operator_codes().transpose()
            {
                f.field("operator_codes", &field_operator_codes);
            }
            if let ::core::option::Option::Some(field_subgraphs) = self.subgraphs().transpose() {
                f.field("subgraphs", &field_subgraphs);
            }
            if let ::core::option::Option::Some(field_description) = self.description().transpose()
            {
                f.field("description", &field_description);
            }
            if let ::core::option::Option::Some(field_buffers) = self.buffers().transpose() {
                f.field("buffers", &field_buffers);
            }
            f.finish()
        }
    }

    impl<'a> ::core::convert::TryFrom<ModelRef<'a>> for Model {
        type Error = ::planus::Error;

        #[allow(unreachable_code)]
        fn try_from(value: ModelRef<'a>) -> ::planus::Result<Self> {
            ::core::result::Result::Ok(Self {
                version: ::core::convert::TryInto::try_into(value.version()?)?,
                operator_codes: if let ::core::option::Option::Some(operator_codes) =
                    value.operator_codes()?
                {
                    ::core::option::Option::Some(operator_codes.to_vec_result()?)
                } else {
                    ::core::option::Option::None
                },
                subgraphs: if let ::core::option::Option::Some(subgraphs) = value.subgraphs()? {
                    ::core::option::Option::Some(subgraphs.to_vec_result()?)
                } else {
                    ::core::option::Option::None
                },
                description: value.description()?.map(::core::convert::Into::into),
                buffers: if let ::core::option::Option::Some(buffers) = value.buffers()? {
                    ::core::option::Option::Some(buffers.to_vec_result()?)
                } else {
                    ::core::option::Option::None
                },
            })
        }
    }

    impl<'a> ::planus::TableRead<'a> for ModelRef<'a> {
        #[inline]
        fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
            ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                buffer, offset,
            )?))
        }
    }

    impl<'a> ::planus::VectorReadInner<'a> for ModelRef<'a> {
        type Error = ::planus::Error;
        const STRIDE: usize = 4;

        unsafe fn from_buffer(
            buffer: ::planus::SliceWithStartOffset<'a>,
            offset: usize,
        ) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                error_kind.with_error_location("[ModelRef]", "get", buffer.offset_from_start)
            })
        }
    }

    /// # Safety
    /// The planus compiler generates implementations that initialize
    /// the bytes in `write_values`.
    unsafe impl ::planus::VectorWrite<::planus::Offset<Model>> for Model {
        type Value = ::planus::Offset<Model>;
        const STRIDE: usize = 4;
        #[inline]
        fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
            ::planus::WriteAs::prepare(self, builder)
        }

        #[inline]
        unsafe fn write_values(
            values: &[::planus::Offset<Model>],
            bytes: *mut ::core::mem::MaybeUninit<u8>,
            buffer_position: u32,
        ) {
            let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
            for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                ::planus::WriteAsPrimitive::write(
                    v,
                    ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                    buffer_position - (Self::STRIDE * i) as u32,
                );
            }
        }
    }

    impl<'a> ::planus::ReadAsRoot<'a> for ModelRef<'a> {
        fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
            ::planus::TableRead::from_buffer(
                ::planus::SliceWithStartOffset {
                    buffer: slice,
                    offset_from_start: 0,
                },
                0,
            )
            .map_err(|error_kind| error_kind.with_error_location("[ModelRef]", "read_as_root", 0))
        }
    }
}
