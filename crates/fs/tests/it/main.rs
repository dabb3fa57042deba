//! `write_private` through the file system: modes, whole-file replacement under a
//! concurrent reader, and no temporary file left behind.
#![allow(clippy::unwrap_used)]

use std::{
    fs,
    path::Path,
    sync::atomic::{AtomicBool, Ordering},
    sync::Arc,
};

use kyc_fs::{create_private, create_private_dir, read_private, write_private};

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn a_new_file_is_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keystore.json");
    write_private(&path, b"secret").unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(fs::read(&path).unwrap(), b"secret");
}

#[cfg(unix)]
#[test]
fn a_readable_file_is_replaced_by_an_owner_only_one() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("request.json");
    fs::write(&path, b"old, and readable by everyone").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    write_private(&path, b"new").unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(fs::read(&path).unwrap(), b"new");
}

#[cfg(unix)]
#[test]
fn a_new_folder_is_owner_only_and_an_existing_one_is_left_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("wallet").join("credentials");
    create_private_dir(&nested).unwrap();
    assert_eq!(mode(&nested), 0o700);
    fs::set_permissions(&nested, fs::Permissions::from_mode(0o750)).unwrap();
    create_private_dir(&nested).unwrap();
    assert_eq!(mode(&nested), 0o750);
}

#[test]
fn a_reader_sees_the_old_file_or_the_new_one_never_a_part() {
    const SIZE: usize = 256 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consents.json");
    let (old, new) = (vec![b'a'; SIZE], vec![b'b'; SIZE]);
    write_private(&path, &old).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (path, done) = (path.clone(), done.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) {
                let seen = fs::read(&path).unwrap();
                assert_eq!(seen.len(), SIZE, "a reader saw a partly written file");
                assert!(
                    seen.iter().all(|&b| b == seen[0]),
                    "a reader saw a mix of two versions"
                );
                reads += 1;
            }
            reads
        })
    };
    for round in 0..100 {
        write_private(&path, if round % 2 == 0 { &new } else { &old }).unwrap();
    }
    done.store(true, Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
}

#[test]
fn a_failed_write_leaves_no_temporary_file_and_the_target_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    // A folder where the file should go: the final rename fails.
    let path = dir.path().join("credential.json");
    fs::create_dir(&path).unwrap();
    fs::write(path.join("inside"), b"kept").unwrap();
    let error = write_private(&path, b"new").unwrap_err();
    assert!(
        error.to_string().contains("credential.json"),
        "the error names the file: {error}"
    );
    assert_eq!(fs::read(path.join("inside")).unwrap(), b"kept");
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        ["credential.json"],
        "only the target is in the folder"
    );
}

#[test]
fn a_path_without_a_file_name_is_refused() {
    assert!(write_private(Path::new("/"), b"x").is_err());
}

#[cfg(unix)]
#[test]
fn a_file_is_created_once_and_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("database.key");
    assert!(create_private(&path, b"first").unwrap());
    assert!(!create_private(&path, b"second").unwrap());
    assert_eq!(fs::read(&path).unwrap(), b"first");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary left"
    );
}

#[cfg(unix)]
#[test]
fn a_private_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("database.key");
    write_private(&path, b"key").unwrap();
    assert_eq!(read_private(&path).unwrap(), b"key");
    for loose in [0o640, 0o604, 0o620] {
        fs::set_permissions(&path, fs::Permissions::from_mode(loose)).unwrap();
        let error = read_private(&path).unwrap_err().to_string();
        assert!(
            error.contains("database.key") && error.contains(&format!("{loose:o}")),
            "{error}"
        );
    }
}
