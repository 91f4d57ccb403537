/* Atomic, private file writes and bounded reads for the UE's USIM and state files.
 * A crash at any point leaves either the old or the new file, never a torn one: the data goes
 * to a temporary file in the same directory, is fsync'd, then renamed over the target, and the
 * directory is fsync'd so that the rename itself survives. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard.h"
#include "mbmsec/ue.h"

static int write_all(int fd, const uint8_t *p, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* fsync of the directory holding path, so the rename is durable. */
static int sync_dir(const char *path)
{
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  if (!slash) {
    strcpy(dir, ".");
  } else {
    size_t n = (size_t)(slash - path);
    if (n == 0) n = 1; /* "/file" */
    if (n >= sizeof dir) return -1;
    memcpy(dir, path, n);
    dir[n] = '\0';
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

mbmsec_err mbmsec_ue_file_write(const char *path, const void *data, size_t len, bool exclusive)
{
  ENSURE(path && *path && (data || len == 0), MBMSEC_ERR_ARG);
  char tmp[PATH_MAX];
  ENSURE(strlen(path) + 8 < sizeof tmp, MBMSEC_ERR_ARG);
  snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
  mbmsec_err rc = MBMSEC_ERR_UE_FILE_IO;
  int fd = mkstemp(tmp); /* mode 0600, O_EXCL */
  if (fd < 0) return MBMSEC_ERR_UE_FILE_IO;
  bool tmp_exists = true;
  if (fchmod(fd, 0600) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
    close(fd);
    goto out;
  }
  if (close(fd) != 0) goto out;
  if (exclusive) {
    /* link(2) fails with EEXIST if the target exists: no window between check and create. */
    if (link(tmp, path) != 0) goto out;
  } else if (rename(tmp, path) != 0) {
    goto out;
  } else {
    tmp_exists = false;
  }
  if (sync_dir(path) != 0) goto out;
  rc = MBMSEC_OK;
out:
  if (tmp_exists) unlink(tmp);
  return rc;
}

mbmsec_err mbmsec_ue_file_read(const char *path, char *buf, size_t cap, size_t *len)
{
  ENSURE(path && buf && cap > 0 && len, MBMSEC_ERR_ARG);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MBMSEC_ERR_UE_FILE_IO;
  size_t n = 0;
  mbmsec_err rc = MBMSEC_OK;
  for (;;) {
    if (n == cap - 1) { /* one more octet means the file is too large */
      char extra;
      ssize_t r = read(fd, &extra, 1);
      if (r != 0) rc = MBMSEC_ERR_UE_FILE_IO;
      break;
    }
    ssize_t r = read(fd, buf + n, cap - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      rc = MBMSEC_ERR_UE_FILE_IO;
      break;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  if (rc != MBMSEC_OK) {
    mbmsec_cleanse(buf, n);
    return rc;
  }
  buf[n] = '\0';
  *len = n;
  return MBMSEC_OK;
}
