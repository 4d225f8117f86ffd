// A component that never returns (Kiln's timeout cuts it off).
export default function Loops() {
  for (;;) {
    // spin
  }
}
