//! A dataflow file read from disk: the checked dataflow and the folder its relative paths
//! (source, processed and error folders) resolve against.

use std::path::{Path, PathBuf};

use fidelis_domain::connect::Dataflow;

/// A checked dataflow and where it was read from.
#[derive(Debug, Clone)]
pub struct Flow {
    pub dataflow: Dataflow,
    /// The folder of the dataflow file: relative paths in it resolve against this.
    pub base: PathBuf,
}

impl Flow {
    /// Reads and checks a dataflow file; every problem is listed.
    pub fn load(path: &Path) -> Result<Self, Vec<String>> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| vec![format!("cannot read {}: {e}", path.display())])?;
        let dataflow = Dataflow::parse(&text)?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(Self { dataflow, base })
    }

    /// A dataflow checked elsewhere, its paths relative to `base`.
    pub fn new(dataflow: Dataflow, base: impl Into<PathBuf>) -> Self {
        Self {
            dataflow,
            base: base.into(),
        }
    }

    /// `path` as the dataflow means it: absolute as it is, relative to the dataflow's folder.
    pub fn resolve(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    /// The error folder (`[source] errors`), if the dataflow names one.
    pub fn error_dir(&self) -> Option<PathBuf> {
        self.dataflow.errors.as_deref().map(|e| self.resolve(e))
    }
}
