// A component that throws while rendering (the sidecar answers an error).
export default function Throws() {
  throw new Error("this component always fails");
}
