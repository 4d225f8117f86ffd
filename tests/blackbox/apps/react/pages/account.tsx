// GET /account: for a signed-in user only (its loader sends others to
// the login page), so kiln export lists it.
export default function Account(props: { name: string }) {
  return <p>Signed in as {props.name}</p>;
}
