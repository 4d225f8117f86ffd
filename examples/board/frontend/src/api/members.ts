/*
 * Written by `kiln types` from the project's models/ and api/: edit those,
 * not this file (`kiln dev` and `kiln types` rewrite it).
 */

/* members: the API of models/member.toml (/api/members). */
import { createCall, deleteCall, getCall, listCall } from "./client";
import {
  createMutation,
  deleteMutation,
  infiniteListQuery,
  listQuery,
  queryKeys,
  rowQuery,
} from "./query";
import type {
  Member,
  MemberInput,
  MemberListParams,
  MemberPage,
} from "./types";

/** The query keys of members (QueryKeys, query.ts). */
export const memberKeys = queryKeys<MemberListParams>("members");

/** GET /api/members: a page of members. */
export const listMembers =
  listCall<MemberListParams, MemberPage>("/api/members");
/** GET /api/members/{id}: a member. */
export const getMember = getCall<Member>("/api/members");
/** POST /api/members: creates a member and answers it. */
export const createMember = createCall<MemberInput, Member>("/api/members");
/** DELETE /api/members/{id}: deletes a member. */
export const deleteMember = deleteCall("/api/members");

/** A page of members, cached under memberKeys.list(params). */
export const useListMembers = listQuery(memberKeys, listMembers);
/** Every page of members, one cursor after the other. */
export const useListMembersInfinite =
  infiniteListQuery(memberKeys, listMembers);
/** Reads a member, cached under memberKeys.detail(id). */
export const useGetMember = rowQuery(memberKeys, getMember);
/** Creates a member; every list of members is refetched. */
export const useCreateMember = createMutation(memberKeys, createMember);
/** Deletes a member; its detail is dropped and every list refetched. */
export const useDeleteMember = deleteMutation(memberKeys, deleteMember);
