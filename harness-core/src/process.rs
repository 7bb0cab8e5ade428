//! The few process operations the harness needs that std lacks, for Unix and Windows: signals to
//! a pid std did not spawn (std only signals its own `Child`, and only with SIGKILL), liveness of
//! such a pid, `setsid`, and the effective uid. Where std has the call, it is used.

use std::process::Command;

/// The parent of this process, where the platform tells it cheaply.
pub(crate) fn parent_pid() -> Option<u32> {
    #[cfg(unix)]
    {
        Some(std::os::unix::process::parent_id())
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Whether a process with this id exists (a zombie counts as dead where we can tell).
pub fn is_alive(pid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // The state follows the parenthesised command name, which may itself hold spaces.
            Ok(stat) => stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X"),
            Err(_) => false,
        }
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        // SAFETY: signal 0 only checks that the process exists and may be signalled.
        let rc = unsafe { libc::kill(pid as libc::pid_t, 0) };
        rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(windows)]
    {
        use windows_sys::Win32::Foundation::{CloseHandle, STILL_ACTIVE};
        use windows_sys::Win32::System::Threading::{
            GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
        };
        // SAFETY: the handle is checked for null and closed before returning.
        unsafe {
            let handle = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
            if handle.is_null() {
                return false;
            }
            let mut code = 0u32;
            let ok = GetExitCodeProcess(handle, &mut code) != 0;
            CloseHandle(handle);
            ok && code == STILL_ACTIVE as u32
        }
    }
}

/// Ask a process to stop: SIGINT where `interrupt` (Postgres' "fast shutdown"), else SIGTERM.
/// Windows has no such request; the process is terminated.
pub(crate) fn request_stop(pid: u32, interrupt: bool) {
    #[cfg(unix)]
    {
        let signal = if interrupt {
            libc::SIGINT
        } else {
            libc::SIGTERM
        };
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(pid as libc::pid_t, signal) };
    }
    #[cfg(windows)]
    {
        let _ = interrupt;
        kill(pid);
    }
}

/// Terminate a process at once.
pub(crate) fn kill(pid: u32) {
    #[cfg(unix)]
    {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    }
    #[cfg(windows)]
    {
        use windows_sys::Win32::Foundation::CloseHandle;
        use windows_sys::Win32::System::Threading::{
            OpenProcess, PROCESS_TERMINATE, TerminateProcess,
        };
        // SAFETY: the handle is checked for null and closed before returning.
        unsafe {
            let handle = OpenProcess(PROCESS_TERMINATE, 0, pid);
            if !handle.is_null() {
                TerminateProcess(handle, 1);
                CloseHandle(handle);
            }
        }
    }
}

/// Detach a command from the terminal and from the test's process group, so that neither Ctrl-C
/// nor nextest killing the test's group reaches it: it must outlive the test that starts it.
pub(crate) fn detach(command: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // std's `process_group(0)` stays in the terminal's session: only setsid leaves it.
        // SAFETY: setsid is async-signal-safe, as required between fork and exec.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const DETACHED_PROCESS: u32 = 0x0000_0008;
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        command.creation_flags(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW);
    }
}

/// A program as a command would find it: a path as given, else the first match on `PATH`
/// (with the platform's executable suffix).
pub(crate) fn find_program(program: &std::path::Path) -> Option<std::path::PathBuf> {
    if program.components().count() > 1 {
        return program.is_file().then(|| program.to_path_buf());
    }
    let name = match program.extension() {
        Some(_) => program.as_os_str().to_owned(),
        None => {
            let mut name = program.as_os_str().to_owned();
            name.push(std::env::consts::EXE_SUFFIX);
            name
        }
    };
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(&name))
        .find(|candidate| candidate.is_file())
}

/// Whether this process runs as root, which Postgres refuses to do.
pub fn is_root() -> bool {
    #[cfg(unix)]
    {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() == 0 }
    }
    #[cfg(not(unix))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_by_path_or_on_path() {
        let me = std::env::current_exe().unwrap();
        assert_eq!(find_program(&me), Some(me.clone()));
        assert_eq!(find_program(&me.with_file_name("no-such-binary")), None);
        assert_eq!(
            find_program(std::path::Path::new("no-such-binary-on-any-path")),
            None
        );
        assert_eq!(find_program(std::path::Path::new("no-such.tool")), None);
        #[cfg(unix)]
        assert!(find_program(std::path::Path::new("sh")).is_some());
    }

    #[test]
    fn this_process_is_alive_and_a_finished_child_is_not() {
        assert!(is_alive(std::process::id()));
        let mut child = Command::new(std::env::current_exe().unwrap())
            .arg("--list")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!is_alive(pid));
    }
}
