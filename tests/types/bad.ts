// Must NOT compile: a status outside the enum, a missing required field,
// a page read as a row. tests/blackbox/test_types.py checks each message.
import { createTask, useListTasks, type TaskInput } from "./api";

export const bad: TaskInput = { project: 1, title: "x", status: "later" };

export function f(): void {
  createTask({ title: "no project" });
}

export function g(): string {
  const { data } = useListTasks();
  return data?.title ?? "";
}
