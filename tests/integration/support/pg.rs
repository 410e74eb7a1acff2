//! A throwaway PostgreSQL cluster for the pg backend's tests: `initdb` and
//! the server from the binaries on the machine, in a temporary directory, on
//! a free loopback port, with trust authentication. As root, both run as the
//! unprivileged `nobody` (the server refuses to run as root). Stopped (an
//! immediate shutdown) when dropped. With TLS, it serves a certificate for
//! `localhost` signed by a test CA made with the `openssl` command, and
//! refuses unencrypted connections. `benches/state.rs` starts one too (it
//! includes this file), so everything here is used by both.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jobform::state::{PgSettings, PgStore};

/// A running cluster.
pub(crate) struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    tls: bool,
    server: Option<Child>,
}

impl Cluster {
    /// Starts a cluster (serving only TLS when `tls`), or says why the test
    /// is skipped and returns `None` when the machine has no server binaries
    /// (`.ci/run` installs them).
    pub(crate) fn start(tls: bool) -> Option<Cluster> {
        let Some(bin) = server_binaries() else {
            eprintln!(
                "skipped: no PostgreSQL server binaries (initdb, postgres) under \
                 /usr/lib/postgresql/*/bin or in JOBFORM_TEST_PG_BIN; `.ci/run` installs them"
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("create the cluster's temp dir");
        // The unprivileged server user must reach its data and socket directory.
        make_world_writable(dir.path());
        let initdb = as_server_user(&bin.join("initdb"))
            .args(["-D", "data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .current_dir(dir.path())
            .output()
            .expect("run initdb");
        assert!(initdb.status.success(), "initdb: {}", String::from_utf8_lossy(&initdb.stderr));
        if tls {
            make_certificates(dir.path());
            std::fs::write(
                dir.path().join("data/pg_hba.conf"),
                "hostssl all all 127.0.0.1/32 trust\n",
            )
            .expect("write pg_hba.conf");
        }
        let port = free_port();
        let mut cluster = Cluster { dir, bin, port, tls, server: None };
        cluster.resume();
        Some(cluster)
    }

    /// The connection string of the `postgres` database: unencrypted, or
    /// encrypted without checking the certificate on a TLS cluster.
    pub(crate) fn conn_str(&self) -> String {
        let mode = if self.tls { "require" } else { "disable" };
        self.url("postgres", "127.0.0.1", &format!("sslmode={mode}"))
    }

    /// A URL of the `postgres` database as `user:password`, on `host`, with
    /// `query`, in which `{ca}` stands for the path of the test CA's certificate.
    pub(crate) fn url(&self, user: &str, host: &str, query: &str) -> String {
        let ca = self.dir.path().join("ca.crt");
        let query = query.replace("{ca}", &ca.display().to_string());
        format!("postgres://{user}@{host}:{}/postgres?{query}", self.port)
    }

    /// The settings of `workspace` in the default schema.
    pub(crate) fn settings(&self, workspace: &str) -> PgSettings {
        PgSettings {
            conn_str: self.conn_str(),
            schema: "jobform".to_owned(),
            workspace: workspace.to_owned(),
        }
    }

    /// Stops the server at once (as `pg_ctl stop -m immediate`: SIGQUIT),
    /// dropping every connection.
    pub(crate) fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = Command::new("kill").args(["-QUIT", &server.id().to_string()]).status();
            let _ = server.wait();
        }
    }

    /// Starts the server (again) on the same data and port, and waits until
    /// it accepts connections.
    pub(crate) fn resume(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("server.log")).unwrap();
        let socket_dir = self.dir.path().display().to_string();
        let mut server = as_server_user(&self.bin.join("postgres"));
        server.args(["-D", "data", "-p", &self.port.to_string(), "-k", &socket_dir]).args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
        ]);
        if self.tls {
            server.args(["-c", "ssl=on", "-c", "ssl_cert_file=../server.crt"]);
            server.args(["-c", "ssl_key_file=../server.key"]);
        }
        let server = server
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start postgres");
        self.server = Some(server);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err()
            || PgStore::connect(&self.settings("default")).is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "postgres never accepted connections: {}",
                std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The newest `/usr/lib/postgresql/N/bin` holding `initdb` and `postgres`
/// (Debian's layout), or `JOBFORM_TEST_PG_BIN`.
fn server_binaries() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = std::env::var_os("JOBFORM_TEST_PG_BIN").map(PathBuf::from) {
        return has_server(&dir).then_some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            has_server(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// A test CA (`ca.crt`) and the server's key and certificate for
/// `localhost` signed by it, made by the server user (the server refuses a
/// key another user owns or others can read).
fn make_certificates(dir: &Path) {
    std::fs::write(dir.join("server.ext"), "subjectAltName = DNS:localhost\n").unwrap();
    let run = |args: &str| {
        let out = as_server_user(Path::new("openssl"))
            .args(args.split(' '))
            .current_dir(dir)
            .output()
            .expect("run openssl");
        assert!(out.status.success(), "openssl {args}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    run(&format!("req -x509 -days 2 -subj /CN=jobform-test-ca {key} -keyout ca.key -out ca.crt"));
    run(&format!("req -subj /CN=localhost {key} -keyout server.key -out server.csr"));
    run("x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
         -extfile server.ext -out server.crt");
    let chmod =
        as_server_user(Path::new("chmod")).args(["600", "server.key"]).current_dir(dir).status();
    assert!(chmod.is_ok_and(|status| status.success()), "chmod server.key");
}

/// `program`, run as `nobody` when this process is root.
fn as_server_user(program: &Path) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    if root {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn make_world_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
}

/// A loopback port nothing listens on (the OS picks it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
