//! The dataflows a server knows: every `*.toml` of one folder, checked at start. Each has an
//! upload inbox: its source folder when it reads one, otherwise `UPLOADS/NAME`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fidelis_domain::connect::{Dataflow, Source};

use super::folder::FolderSource;
use super::pickup::{safe_name, Pickup};
use super::sftp::SftpFolder;

/// One known dataflow.
#[derive(Debug)]
pub struct Registered {
    pub flow: Arc<Dataflow>,
    /// The file it was read from.
    pub file: PathBuf,
    /// Where uploaded files are stored for the pickup.
    pub inbox: PathBuf,
}

/// The dataflows a server knows, by name.
#[derive(Debug, Clone, Default)]
pub struct Dataflows {
    flows: Arc<BTreeMap<String, Arc<Registered>>>,
}

impl Dataflows {
    /// Reads every `*.toml` in `dir`; every problem of every file is listed, and two files
    /// may not name the same dataflow.
    pub fn load_dir(dir: &Path, uploads: &Path) -> Result<Self, Vec<String>> {
        let listed = std::fs::read_dir(dir).map_err(|e| {
            vec![format!(
                "cannot read dataflows folder {}: {e}",
                dir.display()
            )]
        })?;
        let mut files: Vec<PathBuf> = listed
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect();
        files.sort();
        let mut flows = Vec::new();
        let mut problems = Vec::new();
        for file in files {
            match std::fs::read_to_string(&file) {
                Ok(text) => match Dataflow::parse(&text) {
                    Ok(flow) => flows.push((flow, file)),
                    Err(list) => problems
                        .extend(list.into_iter().map(|p| format!("{}: {p}", file.display()))),
                },
                Err(e) => problems.push(format!("{}: {e}", file.display())),
            }
        }
        match Self::new(flows, uploads) {
            Ok(d) if problems.is_empty() => Ok(d),
            Ok(_) => Err(problems),
            Err(mut more) => {
                problems.append(&mut more);
                Err(problems)
            }
        }
    }

    /// Dataflows already parsed, each with the file it came from.
    pub fn new(flows: Vec<(Dataflow, PathBuf)>, uploads: &Path) -> Result<Self, Vec<String>> {
        let mut map = BTreeMap::new();
        let mut problems = Vec::new();
        for (flow, file) in flows {
            let inbox = match &flow.source {
                Source::Folder(folder) => base_of(&file).join(folder),
                _ => uploads.join(safe_name(&flow.name)),
            };
            let name = flow.name.clone();
            let entry = Arc::new(Registered {
                flow: Arc::new(flow),
                file,
                inbox,
            });
            if let Some(before) = map.insert(name.clone(), entry) {
                problems.push(format!(
                    "dataflow {name} is named twice (also in {})",
                    before.file.display()
                ));
            }
        }
        if problems.is_empty() {
            Ok(Self {
                flows: Arc::new(map),
            })
        } else {
            Err(problems)
        }
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Registered>> {
        self.flows.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Registered>> {
        self.flows.values()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// One pickup per dataflow, over its source and (when separate) its upload inbox.
    pub fn pickups(&self, staging: &Path) -> Result<Vec<Pickup>, String> {
        self.iter()
            .map(|r| {
                let base = base_of(&r.file);
                let processed = r.flow.processed.as_ref().map(|p| base.join(p));
                let inbox =
                    || Box::new(FolderSource::new(&r.inbox, None)) as Box<dyn super::Source>;
                let sources: Vec<Box<dyn super::Source>> = match &r.flow.source {
                    Source::Folder(_) => vec![Box::new(FolderSource::new(&r.inbox, processed))],
                    Source::Given => vec![Box::new(FolderSource::new(&r.inbox, processed))],
                    Source::Sftp(s) => vec![
                        Box::new(SftpFolder::new(s.clone(), r.flow.processed.clone())),
                        inbox(),
                    ],
                };
                Pickup::new(r.flow.clone(), sources, staging)
                    .map_err(|e| format!("dataflow {}: {e}", r.flow.name))
            })
            .collect()
    }
}

/// The folder relative paths of the dataflow read from `file` resolve against: the
/// file's own folder, as for `fidelis connect run` (`crate::Flow`).
pub fn base_of(file: &Path) -> PathBuf {
    file.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
