import { useState, type FormEvent } from "react";
import { ApiError, useCreateNote } from "./api";

// A form that creates a note. The server validates it (models/note.toml):
// a 422 lists every failing field, and each message is shown under its
// field, found by its JSON Pointer ("/title").
export function NoteForm() {
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const create = useCreateNote({
    onSuccess: () => {
      setTitle("");
      setBody("");
    },
  });
  const problem = create.error instanceof ApiError ? create.error : null;

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    create.mutate({ title, body: body || null });
  }

  return (
    <form onSubmit={submit} noValidate>
      <label>
        Title
        <input
          name="title"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          aria-invalid={problem?.errorsAt("/title").length ? true : undefined}
        />
      </label>
      <FieldErrors error={problem} pointer="/title" />
      <label>
        Body
        <textarea
          name="body"
          value={body}
          onChange={(e) => setBody(e.target.value)}
        />
      </label>
      <FieldErrors error={problem} pointer="/body" />
      {problem && problem.status !== 422 && (
        <p role="alert">{problem.title}</p>
      )}
      <button type="submit" disabled={create.isPending}>
        Add
      </button>
    </form>
  );
}

function FieldErrors({
  error,
  pointer,
}: {
  error: ApiError | null;
  pointer: string;
}) {
  const errors = error?.errorsAt(pointer) ?? [];
  return errors.map((err) => (
    <p key={err.code} className="error" data-field={pointer}>
      {err.detail}
    </p>
  ));
}
