import { NoteForm } from "./NoteForm";
import { NoteList } from "./NoteList";

export function App() {
  return (
    <main>
      <h1>Notes</h1>
      <NoteForm />
      <NoteList />
    </main>
  );
}
