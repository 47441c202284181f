//! A real OpenSSH server on loopback for one test: its own host key and client key made by
//! `ssh-keygen` in a temporary folder, key login only, the `sftp-server` subsystem. Stopped
//! when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Sshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub user: String,
    child: Child,
}

const SFTP_SERVERS: &[&str] = &["/usr/lib/openssh/sftp-server", "/usr/libexec/sftp-server"];

fn keygen(path: &Path) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "fidelis-test", "-f"])
        .arg(path)
        .output()
        .expect("ssh-keygen (Debian openssh-client)");
    assert!(out.status.success(), "{out:?}");
}

impl Sshd {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        keygen(&d.join("host_key"));
        keygen(&d.join("client_key"));
        std::fs::copy(d.join("client_key.pub"), d.join("authorized_keys")).unwrap();
        std::fs::create_dir(d.join("outbox")).unwrap();
        // sshd run as root insists on its privilege-separation folder.
        let _ = std::fs::create_dir_all("/run/sshd");
        let sftp = SFTP_SERVERS
            .iter()
            .find(|p| Path::new(p).exists())
            .expect("sftp-server (Debian openssh-sftp-server)");
        let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = format!(
            "ListenAddress 127.0.0.1\n\
             HostKey {host}\n\
             PidFile {dir}/sshd.pid\n\
             AuthorizedKeysFile {dir}/authorized_keys\n\
             PubkeyAuthentication yes\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             PermitRootLogin prohibit-password\n\
             UsePAM no\n\
             StrictModes no\n\
             AllowUsers {user}\n\
             Subsystem sftp {sftp}\n",
            host = d.join("host_key").display(),
            dir = d.display(),
        );
        std::fs::write(d.join("sshd_config"), config).unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .args(["-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("sshd.log")).unwrap())
            .spawn()
            .expect("/usr/sbin/sshd (Debian openssh-server)");
        let server = Self {
            dir,
            port,
            user,
            child,
        };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "sshd did not start: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The served folder.
    pub fn outbox(&self) -> PathBuf {
        self.path("outbox")
    }

    /// The host key as `known_hosts` writes it (`ssh-ed25519 AAAA… comment`).
    pub fn host_key(&self) -> String {
        std::fs::read_to_string(self.path("host_key.pub"))
            .unwrap()
            .trim()
            .to_string()
    }

    /// The host key's SHA-256 fingerprint as `ssh-keygen -lf` prints it.
    pub fn fingerprint(&self) -> String {
        let out = Command::new("ssh-keygen")
            .arg("-lf")
            .arg(self.path("host_key.pub"))
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_string()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
