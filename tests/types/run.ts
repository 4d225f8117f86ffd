// Run by Node (after tsc compiles it with the client to CommonJS) against
// the board project of tests/blackbox/test_types.py served by kiln dev:
// calls the endpoint schema's function with good and bad input, and the
// calls tasks.ts makes with client.ts's makers, and prints what came back
// as JSON, for the test to check.
import { ApiError, configure } from "./api/client";
import { postPostsByIdLike } from "./api/endpoints";
import { createTask, deleteTask, getTask, listTasks } from "./api/tasks";

declare const process: { argv: string[] };

async function outcome(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await call() };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return {
      status: e.status,
      title: e.title,
      errors: e.errors,
      mood: e.errorsAt("/mood").length,
      notify: e.errorsAt("?notify").length,
    };
  }
}

async function main(): Promise<void> {
  configure({ baseUrl: process.argv[2] ?? "" });
  const seen: (string | null)[] = [];
  const results = [
    await outcome(() =>
      postPostsByIdLike(
        {
          path: { id: 3 },
          query: { notify: true },
          body: { mood: "happy", reason: "a good post" },
        },
        { onResponse: (r) => seen.push(r.headers.get("Content-Type")) },
      ),
    ),
    await outcome(() =>
      postPostsByIdLike({
        path: { id: 3 },
        query: { notify: "maybe" as unknown as boolean },
        body: { mood: "angry" as "happy" },
      }),
    ),
    await outcome(() =>
      postPostsByIdLike({ path: { id: 0 }, body: { mood: "sad" } }),
    ),
  ];
  const calls = [
    await outcome(() => listTasks({ status__in: ["todo", "doing"], limit: 5 })),
    await outcome(() => listTasks({ limit: 0 })),
    await outcome(() => getTask(999)),
    await outcome(() => createTask({ project: 999, title: "x" })),
    await outcome(() => deleteTask(999)),
  ];
  console.log(JSON.stringify([...results, seen, calls]));
}

void main();
