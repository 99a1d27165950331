/*
 * test-fs.h - file-system helpers the unit tests share.
 */
#ifndef MAMORI_TEST_FS_H
#define MAMORI_TEST_FS_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Removes path and everything under it (symlinks are not followed). */
static void
rmtree(const char *path)
{
	DIR *d;
	struct dirent *de;
	char p[512];
	struct stat st;

	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
				rmtree(p);
			else
				unlink(p);
		}
		closedir(d);
	}
	rmdir(path);
}

#endif
