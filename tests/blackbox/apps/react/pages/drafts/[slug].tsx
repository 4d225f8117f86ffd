// GET /drafts/{slug}: no export paths declared, so kiln export lists it.
export default function Draft(props: { slug: string }) {
  return <p>Draft {props.slug}</p>;
}
