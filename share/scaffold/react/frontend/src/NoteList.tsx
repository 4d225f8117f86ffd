import { useListNotes, usePatchNote } from "./api";

// The notes, newest first: useListNotes caches them under
// noteKeys.list(), and every mutation of a note refetches the lists.
export function NoteList() {
  const { data, error, isPending } = useListNotes();
  const patch = usePatchNote();
  if (isPending) return <p>Loading…</p>;
  if (error) return <p role="alert">{error.title}</p>;
  if (data.items.length === 0) return <p id="empty">No notes yet.</p>;
  return (
    <ul id="notes">
      {data.items.map((note) => (
        <li key={note.id} className={note.done ? "done" : undefined}>
          <label>
            <input
              type="checkbox"
              checked={note.done}
              onChange={() =>
                patch.mutate({ id: note.id, body: { done: !note.done } })
              }
            />
            {note.title}
          </label>
        </li>
      ))}
    </ul>
  );
}
