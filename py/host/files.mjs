// The user's file system for the CLI's Python (py/pelican/_host.py: read_file, write_file,
// make_dirs), done by Node itself: a path means what it means in the user's shell (relative to
// the directory they ran the command from, symbolic links followed, /dev/null is /dev/null), and
// Python never sees a mount point to leak into a message. Failures come back as
// {error: 'ENOENT', ...} for Python to raise as OSError with the user's own path.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

function failure(error) {
  return { error: error.code ?? 'EIO', message: error.message };
}

/** @param {string} cwd the user's working directory */
export function hostFiles(cwd) {
  const at = (path) => resolve(cwd, path);
  return {
    /** {data: Uint8Array} or {error} */
    readFile(path) {
      try {
        return { data: new Uint8Array(readFileSync(at(path))) };
      } catch (error) {
        return failure(error);
      }
    },
    /**
     * Writes and then checks what is on disk: {size} (bytes the file now holds), or {error}.
     * A regular file must hold exactly what was written; a device (/dev/null) takes it as it is.
     */
    writeFile(path, bytes) {
      const file = at(path);
      let fd;
      try {
        fd = openSync(file, 'w');
        let done = 0;
        while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
        const opened = fstatSync(fd);
        closeSync(fd);
        fd = undefined;
        if (!opened.isFile()) return { size: bytes.length, device: true };
        const now = statSync(file);
        if (!now.isFile() || now.size !== bytes.length) {
          return { error: 'EIO', message: `holds ${now.size} bytes after writing ${bytes.length}` };
        }
        return { size: now.size };
      } catch (error) {
        return failure(error);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    },
    /** {} once the directory exists (made with its parents if need be), or {error}. */
    makeDirs(path) {
      try {
        // Parent by parent: Node's own recursive mkdir spins forever on a path like /proc/x.
        const target = at(path);
        const missing = [];
        for (let dir = target; !existsSync(dir); dir = dirname(dir)) {
          if (dirname(dir) === dir) break;
          missing.unshift(dir);
        }
        for (const dir of missing) mkdirSync(dir);
        if (!statSync(target).isDirectory()) return { error: 'ENOTDIR', message: 'not a directory' };
        return {};
      } catch (error) {
        return failure(error);
      }
    },
  };
}
