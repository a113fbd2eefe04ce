/*
 * Program pages read at start-up handed back (Linux), for `kalkan serve` once it answers.
 *
 * Starting Node reads much of its own program file: the JavaScript of Node's modules, the
 * parser and compiler, the crypto and certificate code that loads keys and lists. The kernel
 * maps those pages into the process and counts them in its resident set for as long as it
 * runs, though most are never touched again; in a resolver with a million-name list they are
 * about half the resident set. release() drops this process's mapping of the pages of every
 * read-only private mapping of a file whose pages are all the file's own (no copy-on-write
 * page: nothing is lost). The pages stay in the kernel's page cache; one still in use is mapped
 * again on its next touch (a minor fault, no disk read while the page is cached).
 *
 * JS API (see resolver/serve/startup-pages.ts):
 *   release() -> number    bytes of the dropped mappings that were resident
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_RANGES 512

typedef struct {
  unsigned long start, end, resident_kb;
} range_t;

typedef struct {
  unsigned long start, end, resident_kb, anonymous_kb;
  int droppable; /* read-only, private, backed by a file */
} mapping_t;

static int add_if_droppable(const mapping_t *m, range_t *ranges, int count) {
  if (!m->droppable || m->anonymous_kb != 0 || m->resident_kb == 0 || count >= MAX_RANGES)
    return count;
  ranges[count].start = m->start;
  ranges[count].end = m->end;
  ranges[count].resident_kb = m->resident_kb;
  return count + 1;
}

/* The mappings to drop, read from /proc/self/smaps; -1 if it cannot be read. */
static int droppable_ranges(range_t *ranges) {
  FILE *smaps = fopen("/proc/self/smaps", "r");
  if (smaps == NULL) return -1;
  char line[4096];
  mapping_t current = {0};
  int count = 0;
  while (fgets(line, sizeof line, smaps) != NULL) {
    unsigned long start, end, value;
    char perms[5];
    int path_at = 0;
    if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &start, &end, perms, &path_at) == 3) {
      count = add_if_droppable(&current, ranges, count);
      memset(&current, 0, sizeof current);
      current.start = start;
      current.end = end;
      current.droppable = perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p' && path_at > 0 &&
                          line[path_at] == '/';
    } else if (sscanf(line, "Rss: %lu kB", &value) == 1) {
      current.resident_kb = value;
    } else if (sscanf(line, "Anonymous: %lu kB", &value) == 1) {
      current.anonymous_kb = value;
    }
  }
  count = add_if_droppable(&current, ranges, count);
  fclose(smaps);
  return count;
}

static napi_value js_release(napi_env env, napi_callback_info info) {
  range_t ranges[MAX_RANGES];
  int count = droppable_ranges(ranges);
  double released = 0;
  for (int i = 0; i < count; i++) {
    if (madvise((void *)ranges[i].start, ranges[i].end - ranges[i].start, MADV_DONTNEED) == 0)
      released += (double)ranges[i].resident_kb * 1024;
  }
  napi_value result;
  napi_create_double(env, count < 0 ? -1 : released, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor functions[] = {
      {"release", NULL, js_release, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof *functions, functions);
  return exports;
}
