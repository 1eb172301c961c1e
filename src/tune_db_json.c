/* The tuning database's file format (docs/tuning.md): a file is parsed
 * with every field checked (a malformed entry is counted and passed over, a
 * file that is not a database is reported once and ignored), and a list is
 * rendered back as JSON. */
#include "tune_db_internal.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_FORMAT "clnn-tuning"
#define DB_VERSION 1
#define MAX_FILE_BYTES (64u << 20)
#define MAX_SECONDS 1e9    /* a measured time: 30 years is already absurd */
#define MAX_TUNED_AT 1e15  /* seconds since the epoch: exact in a double and a long long */

static int json_size(const cJSON *j, size_t *out)
{
    if (!cJSON_IsNumber(j) || j->valuedouble < 1 || j->valuedouble > 9.0e15 ||
        j->valuedouble != (double)(long long)j->valuedouble)
        return 0;
    *out = (size_t)j->valuedouble;
    return 1;
}

/* An optional number at key: absent (0 stays), or in 0..max into *out; 0 when present and not such a number. */
static int json_optional(const cJSON *j, const char *key, double max, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v) return 1;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= max)) return 0; /* NaN fails too */
    *out = v->valuedouble;
    return 1;
}

/* One entry of a file; NULL when valid, else why not. */
static const char *parse_entry(const cJSON *j, int layer, db_entry *e)
{
    memset(e, 0, sizeof *e);
    e->layer = layer;
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(j, "device");
    const cJSON *ker = cJSON_GetObjectItemCaseSensitive(j, "kernel");
    const cJSON *bucket = cJSON_GetObjectItemCaseSensitive(j, "bucket");
    if (!cJSON_IsString(dev) || !dev->valuestring[0] || strlen(dev->valuestring) >= sizeof e->device)
        return "\"device\" is not a non-empty string";
    if (!cJSON_IsString(ker) || !ker->valuestring[0] || strlen(ker->valuestring) >= sizeof e->kernel)
        return "\"kernel\" is not a non-empty string";
    strcpy(e->device, dev->valuestring);
    strcpy(e->kernel, ker->valuestring);
    e->name_len = clnn__db_name_prefix_len(e->device);
    if (!cJSON_IsArray(bucket) || cJSON_GetArraySize(bucket) != 2 ||
        !json_size(cJSON_GetArrayItem(bucket, 0), &e->bucket[0]) ||
        !json_size(cJSON_GetArrayItem(bucket, 1), &e->bucket[1]))
        return "\"bucket\" is not two positive integers";
    for (int d = 0; d < 2; d++)
        if (e->bucket[d] & (e->bucket[d] - 1)) return "\"bucket\" holds a value that is not a power of two";
    e->keeps_default = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "keeps_default"));
    if (!e->keeps_default) {
        const cJSON *local = cJSON_GetObjectItemCaseSensitive(j, "local");
        int n = cJSON_GetArraySize(local);
        if (!cJSON_IsArray(local) || n < 1 || n > 3) return "\"local\" is not an array of 1 to 3 sizes";
        e->local[0] = e->local[1] = e->local[2] = 1;
        for (int d = 0; d < n; d++)
            if (!json_size(cJSON_GetArrayItem(local, d), &e->local[d]) || e->local[d] > 65536)
                return "\"local\" holds a size that is not in 1..65536";
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(j, "params"), *p;
        if (params && !cJSON_IsObject(params)) return "\"params\" is not an object";
        cJSON_ArrayForEach(p, params) {
            if (e->nparams == DB_MAX_PARAMS) return "\"params\" has too many entries";
            /* the range first: converting 1e300 to int is undefined */
            if (!cJSON_IsNumber(p) || !(p->valuedouble >= INT_MIN && p->valuedouble <= INT_MAX) ||
                p->valuedouble != (double)(int)p->valuedouble || strlen(p->string) >= PARAM_NAME_LEN)
                return "\"params\" holds a value that is not an integer";
            strcpy(e->pname[e->nparams], p->string);
            e->pvalue[e->nparams++] = (int)p->valuedouble;
        }
    }
    double at = 0;
    if (!json_optional(j, "seconds", MAX_SECONDS, &e->seconds) ||
        !json_optional(j, "default_seconds", MAX_SECONDS, &e->default_seconds))
        return "\"seconds\" or \"default_seconds\" is not a time in 0..1e9 seconds";
    if (!json_optional(j, "tuned_at", MAX_TUNED_AT, &at)) return "\"tuned_at\" is not a time in 0..1e15 seconds";
    e->tuned_at = (long long)at; /* in range: the conversion is defined */
    return NULL;
}


/* Reads a database file into l (merging); reports problems once, and copies
 * the reason into why (may be NULL). */
int clnn__db_read_file(const char *path, int layer, db_list *l, unsigned *bad_entries, char *why, size_t whylen)
{
    char *text = NULL, reason[1200] = "";
    size_t len = 0;
    int r = clnn__read_regular(path, 0, MAX_FILE_BYTES, &text, &len, reason, sizeof reason);
    if (r == CLNN__READ_MISSING) return READ_MISSING;
    cJSON *root = r == CLNN__READ_OK ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(root, "entries");
    if (r != CLNN__READ_OK) {} /* reason set by the reader */
    else if (!root) snprintf(reason, sizeof reason, "not valid JSON (corrupt or truncated)");
    else if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, DB_FORMAT) != 0)
        snprintf(reason, sizeof reason, "not a clnn tuning database (\"format\" is not \"" DB_FORMAT "\")");
    else if (!cJSON_IsNumber(ver) || ver->valuedouble != DB_VERSION)
        snprintf(reason, sizeof reason, "written by another version of clnn (\"version\" is not 1)");
    else if (!cJSON_IsArray(entries)) snprintf(reason, sizeof reason, "\"entries\" is not an array");
    if (reason[0]) {
        char msg[1300];
        snprintf(msg, sizeof msg, "%s; ignored", reason);
        clnn__db_warn_once(path, msg);
        if (why) snprintf(why, whylen, "%s", reason);
        cJSON_Delete(root);
        return r == CLNN__READ_FAILED ? READ_UNREADABLE : READ_REJECTED;
    }
    unsigned bad = 0, index = 0;
    char first_bad[256] = "";
    const cJSON *j;
    cJSON_ArrayForEach(j, entries) {
        db_entry e;
        const char *err = parse_entry(j, layer, &e);
        if (err) {
            if (!bad++) snprintf(first_bad, sizeof first_bad, "entry %u: %s", index, err);
        } else {
            clnn__db_list_put(l, &e);
        }
        index++;
    }
    cJSON_Delete(root);
    if (bad) {
        char msg[400];
        snprintf(msg, sizeof msg, "%u malformed entr%s ignored (first: %s)", bad, bad == 1 ? "y" : "ies", first_bad);
        clnn__db_warn_once(path, msg);
        if (bad_entries) *bad_entries += bad;
    }
    return READ_OK;
}

static cJSON *entry_json(const db_entry *e)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "device", e->device);
    cJSON_AddStringToObject(j, "kernel", e->kernel);
    double b[2] = {(double)e->bucket[0], (double)e->bucket[1]};
    cJSON_AddItemToObject(j, "bucket", cJSON_CreateDoubleArray(b, 2));
    if (e->keeps_default) {
        cJSON_AddTrueToObject(j, "keeps_default");
    } else {
        double loc[3] = {(double)e->local[0], (double)e->local[1], (double)e->local[2]};
        cJSON_AddItemToObject(j, "local", cJSON_CreateDoubleArray(loc, 3));
        cJSON *p = cJSON_AddObjectToObject(j, "params");
        for (int i = 0; i < e->nparams; i++) cJSON_AddNumberToObject(p, e->pname[i], e->pvalue[i]);
    }
    cJSON_AddNumberToObject(j, "seconds", e->seconds);
    cJSON_AddNumberToObject(j, "default_seconds", e->default_seconds);
    cJSON_AddNumberToObject(j, "tuned_at", (double)e->tuned_at);
    return j;
}

/* The JSON text of l's entries that pass keep (*n gets their number); NULL when out of memory. */
char *clnn__db_render(const db_list *l, int (*keep)(const db_entry *, const void *), const void *arg, size_t *n)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", DB_FORMAT);
    cJSON_AddNumberToObject(root, "version", DB_VERSION);
    cJSON *arr = cJSON_AddArrayToObject(root, "entries");
    *n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (!keep || keep(&l->items[i], arg)) {
            cJSON_AddItemToArray(arr, entry_json(&l->items[i]));
            (*n)++;
        }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}