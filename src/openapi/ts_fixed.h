/*
 * openapi/ts_fixed.h - the TypeScript files ts.c writes the same for every
 * project, after its "Written by `kiln types`" header. A model's file
 * (tasks.ts) is a line per call and hook made by the makers these export:
 *
 *   client.ts  configure(), request(), ApiError, CallOptions; listCall,
 *              getCall, createCall, updateCall, patchCall, deleteCall
 *   query.ts   QueryOptions, InfiniteOptions, MutationOptions; queryKeys;
 *              listQuery, infiniteListQuery, rowQuery, createMutation,
 *              updateMutation, deleteMutation
 */
#ifndef KILN_OPENAPI_TS_FIXED_H
#define KILN_OPENAPI_TS_FIXED_H

/** client.ts after its header, NUL-terminated; static, never freed. */
extern const char ts_client_ts[];

/** query.ts after its header, NUL-terminated; static, never freed. */
extern const char ts_query_ts[];

#endif
