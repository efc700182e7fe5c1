//! `ensure` against a stand-in `rustup` that records its arguments and answers from a state
//! kept in files (toolchains, targets, components), which its install commands change as
//! rustup's would.

use super::{ensure, Rustup, Wanted};
use crate::shell::root;
use tempfile::TempDir;

const HOST: &str = "x86_64-unknown-linux-gnu";

/// The stand-in. Run through `sh`, not executed: a script written and then executed by a
/// multi-threaded test binary can fail with "text file busy".
const FAKE_RUSTUP: &str = r#"
cd "$(dirname "$0")" || exit 2
echo "$*" >> calls
host=x86_64-unknown-linux-gnu
fail() { echo "error: $*" >&2; exit 1; }
installed() { [ -s toolchains ]; }
case "$1 $2" in
"show active-toolchain")
    installed || fail "toolchain '1.95.0-$host' is not installed"
    echo "$(head -n 1 toolchains) (overridden by 'rust-toolchain.toml')" ;;
"toolchain list")
    if installed; then sed 's/$/ (active)/' toolchains; else echo "no installed toolchains"; fi ;;
"target list"|"component list")
    installed || fail "toolchain is not installed"
    cat "$1s" ;;
"target add")
    [ -e offline ] && fail "could not download"
    installed || fail "toolchain is not installed"
    shift 4
    for t in "$@"; do echo "$t" >> targets; done ;;
"component add")
    [ -e offline ] && fail "could not download"
    installed || fail "toolchain is not installed"
    shift 4
    for c in "$@"; do echo "$c-$host" >> components; done ;;
"toolchain install")
    [ -e offline ] && fail "could not download"
    echo "$3-$host" > toolchains
    echo "$host" > targets
    printf '%s\n' "cargo-$host" "rustc-$host" "rust-std-$host" > components
    shift 3
    while [ $# -gt 0 ]; do
        case "$1" in
        --component) for c in $(echo "$2" | tr , ' '); do echo "$c-$host" >> components; done; shift 2 ;;
        --target) for t in $(echo "$2" | tr , ' '); do echo "$t" >> targets; done; shift 2 ;;
        *) shift ;;
        esac
    done ;;
*) fail "unexpected arguments: $*" ;;
esac
"#;

/// The active toolchain's full name, as rustup reports it.
fn toolchain() -> String {
    format!("{}-{HOST}", wanted().channel)
}

/// What the repository's `rust-toolchain.toml` asks for: the tests follow the file.
fn wanted() -> Wanted {
    let wanted = Wanted::read(&root().join("rust-toolchain.toml")).expect("rust-toolchain.toml");
    assert!(!wanted.targets.is_empty() && !wanted.components.is_empty());
    wanted
}

/// A machine in a state: the toolchain or not, and its targets and components.
struct Machine(TempDir);

impl Machine {
    fn new(toolchain: Option<(&[String], &[String])>) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
        write("rustup", FAKE_RUSTUP.to_owned());
        write("calls", String::new());
        let (mut toolchains, mut targets, mut components) = Default::default();
        if let Some((t, c)) = toolchain {
            toolchains = format!("{}\n", self::toolchain());
            targets = format!("{HOST}\n{}", lines(t));
            let with_host: Vec<String> = c.iter().map(|c| format!("{c}-{HOST}")).collect();
            components = format!("cargo-{HOST}\nrustc-{HOST}\n{}", lines(&with_host));
        }
        write("toolchains", toolchains);
        write("targets", targets);
        write("components", components);
        Self(dir)
    }

    fn offline(self) -> Self {
        std::fs::write(self.0.path().join("offline"), "").unwrap();
        self
    }

    fn rustup(&self) -> Rustup {
        Rustup {
            program: "sh".into(),
            leading: vec![self.0.path().join("rustup").into()],
            dir: self.0.path().to_path_buf(),
        }
    }

    /// The commands that changed the machine, in order (queries left out).
    fn installs(&self) -> Vec<String> {
        let calls = std::fs::read_to_string(self.0.path().join("calls")).unwrap();
        let queries = ["show ", "toolchain list", "target list ", "component list "];
        calls
            .lines()
            .filter(|c| !queries.iter().any(|q| c.starts_with(q)))
            .map(str::to_owned)
            .collect()
    }
}

fn lines(items: &[String]) -> String {
    items.iter().map(|i| format!("{i}\n")).collect()
}

/// `ensure` succeeds, installs exactly `expected`, and a second run then installs nothing.
fn installs_exactly(machine: &Machine, expected: &[String]) {
    ensure(&machine.rustup(), &wanted()).expect("setup succeeds");
    assert_eq!(machine.installs(), expected);
    ensure(&machine.rustup(), &wanted()).expect("setup succeeds again");
    assert_eq!(
        machine.installs(),
        expected,
        "the second run installed something"
    );
}

#[test]
fn installs_the_toolchain_with_its_targets_and_components_when_nothing_is_installed() {
    let w = wanted();
    let expected = format!(
        "toolchain install {} --profile {} --component {} --target {}",
        w.channel,
        w.profile,
        w.components.join(","),
        w.targets.join(",")
    );
    installs_exactly(&Machine::new(None), &[expected]);
}

#[test]
fn adds_only_the_targets_to_a_toolchain_without_them() {
    let w = wanted();
    let machine = Machine::new(Some((&[], &w.components)));
    let expected = format!(
        "target add --toolchain {} {}",
        toolchain(),
        w.targets.join(" ")
    );
    installs_exactly(&machine, &[expected]);
}

#[test]
fn adds_only_the_components_to_a_toolchain_without_clippy_and_rustfmt() {
    let w = wanted();
    let machine = Machine::new(Some((&w.targets, &[])));
    let expected = format!(
        "component add --toolchain {} {}",
        toolchain(),
        w.components.join(" ")
    );
    installs_exactly(&machine, &[expected]);
}

#[test]
fn adds_the_one_target_a_toolchain_lacks() {
    let w = wanted();
    let (last, others) = w.targets.split_last().unwrap();
    let machine = Machine::new(Some((others, &w.components)));
    let expected = format!("target add --toolchain {} {last}", toolchain());
    installs_exactly(&machine, &[expected]);
}

#[test]
fn installs_nothing_when_everything_is_present() {
    let w = wanted();
    installs_exactly(&Machine::new(Some((&w.targets, &w.components))), &[]);
}

#[test]
fn says_in_one_line_what_it_could_not_install_and_the_command_to_run() {
    let w = wanted();
    let machine = Machine::new(Some((&[], &w.components))).offline();
    let err = ensure(&machine.rustup(), &w).unwrap_err().to_string();
    let command = format!(
        "rustup target add --toolchain {} {}",
        toolchain(),
        w.targets.join(" ")
    );
    assert!(err.contains(&command), "{err}");
    let what = format!(
        "targets {} on toolchain {}",
        w.targets.join(", "),
        toolchain()
    );
    assert!(err.contains(&what), "{err}");
    assert!(!err.contains('\n'), "{err}");

    let machine = Machine::new(None).offline();
    let err = ensure(&machine.rustup(), &w).unwrap_err().to_string();
    let command = format!("rustup toolchain install {} --profile", w.channel);
    let what = format!("could not install toolchain {} with targets", w.channel);
    assert!(err.starts_with(&what), "{err}");
    assert!(err.contains(&command) && !err.contains('\n'), "{err}");
    // Nothing is attempted after the toolchain failed to install.
    assert_eq!(machine.installs().len(), 1);
}

#[test]
fn says_where_to_get_rustup_when_there_is_none() {
    let machine = Machine::new(None);
    let mut rustup = machine.rustup();
    rustup.program = machine.0.path().join("no-such-rustup").into();
    rustup.leading.clear();
    let err = ensure(&rustup, &wanted()).unwrap_err().to_string();
    assert!(
        err.contains("https://rustup.rs") && !err.contains('\n'),
        "{err}"
    );
}

#[test]
fn reads_the_toolchain_file_with_defaults_for_what_it_leaves_out() {
    let w = Wanted::parse("[toolchain]\nchannel = \"1.95.0\"\n").unwrap();
    assert_eq!(
        (w.channel.as_str(), w.profile.as_str()),
        ("1.95.0", "minimal")
    );
    assert!(w.targets.is_empty() && w.components.is_empty());
    assert!(Wanted::parse("[toolchain]\ntargets = []\n").is_err());
}
