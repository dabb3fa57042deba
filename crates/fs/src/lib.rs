#![doc = include_str!("../README.md")]

use std::{
    fs::{self, File, OpenOptions},
    io::{self, Write},
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

mod error;

pub use error::{Error, Result};

/// Temporary files made by this process so far, so that each gets its own name.
static TEMPORARIES: AtomicU64 = AtomicU64::new(0);

/// Writes `contents` to `path`, readable and writable by its owner only, atomically
/// and synced: a temporary file in the same folder is written, synced, renamed over
/// `path`, and the folder is synced. A file already at `path` is replaced whole, and
/// its permissions with it.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = parent_dir(path);
    let temporary = temporary_path(path)?;
    let written = write_new_private(&temporary, contents).and_then(|()| {
        fs::rename(&temporary, path).map_err(Error::at("cannot rename into place", path))
    });
    if written.is_err() {
        // Best effort: the error that matters is the one returned.
        let _ = fs::remove_file(&temporary);
    }
    written?;
    sync_dir(dir)
}

/// Writes `contents` to `path` like [`write_private`], but only if no file is there:
/// the new file is linked into place, which fails rather than replace one. Returns
/// `false`, leaving the existing file as it is, when `path` already exists, so that
/// of two processes creating one key file, both end up reading the same key.
pub fn create_private(path: &Path, contents: &[u8]) -> Result<bool> {
    let dir = parent_dir(path);
    let temporary = temporary_path(path)?;
    let linked = write_new_private(&temporary, contents).and_then(|()| {
        match fs::hard_link(&temporary, path) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(error) => Err(Error::at("cannot link into place", path)(error)),
        }
    });
    // Best effort: the temporary name goes whatever happened; the error that matters is returned.
    let _ = fs::remove_file(&temporary);
    let created = linked?;
    sync_dir(dir)?;
    Ok(created)
}

/// Reads a file that only its owner may read or write, such as a key file; refuses
/// one that its group or others may access (any of the mode bits 0077 on Unix).
pub fn read_private(path: &Path) -> Result<Vec<u8>> {
    let mut file = File::open(path).map_err(Error::at("cannot open", path))?;
    check_owner_only(&file, path)?;
    let mut contents = Vec::new();
    io::Read::read_to_end(&mut file, &mut contents).map_err(Error::at("cannot read", path))?;
    Ok(contents)
}

#[cfg(unix)]
fn check_owner_only(file: &File, path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file
        .metadata()
        .map_err(Error::at("cannot read the permissions of", path))?
        .permissions()
        .mode();
    match mode & 0o077 {
        0 => Ok(()),
        _ => Err(Error::NotPrivate {
            path: path.to_owned(),
            mode: mode & 0o777,
        }),
    }
}

#[cfg(not(unix))]
fn check_owner_only(_file: &File, _path: &Path) -> Result<()> {
    Ok(())
}

/// Creates a folder (and its missing parents) readable by its owner only (0700 on
/// Unix). An existing folder is left as it is.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(Error::at("cannot create folder", dir))?;
    if let Some(parent) = dir.parent() {
        sync_dir(if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        })?;
    }
    Ok(())
}

/// Creates `path` (never an existing file) with mode 0600, writes and syncs it.
fn write_new_private(path: &Path, contents: &[u8]) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(Error::at("cannot create", path))?;
    // The mode given to open is reduced by the umask; 0600 is what is wanted, whatever it is.
    restrict_to_owner(&file, path)?;
    file.write_all(contents)
        .map_err(Error::at("cannot write", path))?;
    file.sync_all().map_err(Error::at("cannot sync", path))
}

#[cfg(unix)]
fn restrict_to_owner(file: &File, path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(Error::at("cannot restrict permissions of", path))
}

#[cfg(not(unix))]
fn restrict_to_owner(_file: &File, _path: &Path) -> Result<()> {
    Ok(())
}

/// Syncs a folder, so that a rename or a new entry in it survives a crash.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(Error::at("cannot sync folder", dir))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

/// The folder of `path`; `.` for a bare file name.
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// `.{name}.{pid}.{n}.{nanos}.tmp` beside `path`: hidden, and unique to this write.
fn temporary_path(path: &Path) -> Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| Error::Io {
        action: "cannot write",
        path: path.to_owned(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"),
    })?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let mut temporary = std::ffi::OsString::from(".");
    temporary.push(name);
    temporary.push(format!(
        ".{}.{}.{nanos}.tmp",
        std::process::id(),
        TEMPORARIES.fetch_add(1, Ordering::Relaxed)
    ));
    Ok(parent_dir(path).join(temporary))
}
