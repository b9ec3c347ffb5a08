/*
 * upload_private.h: what upload_http.c needs from upload_data.c.
 */
#ifndef HMDP_UPLOAD_PRIVATE_H
#define HMDP_UPLOAD_PRIVATE_H

#include "upload.h"

/* Writes n bytes as a new file blogs/{d1}/{d2}/{random}.{ext} under the
 * upload dir (temp file + rename, mode 0644, dirs 0755) and records owner
 * as its uploader. *path is the API name "/blogs/..." (arena). */
res_t upload_store(struct req *rq, int64_t owner, const char *data, size_t n,
                   const char *ext, const char **path);

/* Deletes the file named by canonical path (from upload_name_check) if
 * uid uploaded it: 403 otherwise, or when the path crosses a symlink or
 * names something that is not a regular file. A file already gone is
 * success. */
res_t upload_remove(struct req *rq, int64_t uid, const char *path);

#endif
