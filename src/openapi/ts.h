/*
 * openapi/ts.h - the TypeScript of a project's typed API, for the front
 * end: a type per schema, a small fetch client, and TanStack Query v5 hooks
 * per operation. It walks the same description as the OpenAPI document
 * (oapi_doc: the models with [api], the routes and their endpoint schemas)
 * and uses the same names (components, operationIds), never the JSON.
 *
 * Files written (docs/typescript.md):
 *
 *   client.ts     configure(), request(), ApiError (problem+json), and
 *                 the makers of a model's calls (listCall, getCall...)
 *   types.ts      Task, TaskInput, TaskPatch, TaskPage, TaskListParams,
 *                 enums as unions plus a const array of their values
 *   query.ts      the option types the hooks take, the key maker
 *                 (queryKeys) and the makers of a model's hooks
 *                 (listQuery, rowQuery, createMutation...)
 *   tasks.ts      per model with [api] (named after its path): its key
 *                 factory (taskKeys) and a line per call and hook, made
 *                 by the makers
 *   endpoints.ts  a function per api/ handler with an endpoint schema
 *   index.ts      re-exports all of them
 *
 * It runs at build time only (`kiln types`, `kiln dev`).
 *
 *   ts_files fs;
 *   if (ts_write(&doc, &fs) == 0)
 *       for (size_t i = 0; i < fs.n; i++) save(fs.v[i].name, &fs.v[i].text);
 *   ts_files_free(&fs);
 */
#ifndef KILN_OPENAPI_TS_H
#define KILN_OPENAPI_TS_H

#include "openapi/openapi.h"

/** One file: its name ("tasks.ts") and its text. */
typedef struct ts_file {
    char name[96];
    kiln_buf text; /**< owned by the file (ts_files_free) */
} ts_file;

/** The files of one run, in the order they are listed above. */
typedef struct ts_files {
    ts_file *v; /**< malloc'd; owned (ts_files_free) */
    size_t n;
} ts_files;

/**
 * Writes the TypeScript of d into *out (initialized here; free it with
 * ts_files_free, also after a failure). Files are the same bytes for the
 * same description. Returns 0 or KILN_ENOMEM.
 */
int ts_write(const oapi_doc *d, ts_files *out);

/** Frees the files and their texts; *f is empty afterwards. */
void ts_files_free(ts_files *f);

/**
 * Whether word is said starting with a vowel, so that it takes "an" in
 * the comments written: a vowel letter, except a "u" said "you" ("user",
 * "unit": u, a consonant, a vowel), "eu" and "one"; and a silent "h"
 * ("hour", "honest", "honor"). Any case. Pure.
 */
bool ts_vowel_sound(const char *word);

#endif
