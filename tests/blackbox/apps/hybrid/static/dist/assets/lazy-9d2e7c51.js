export default function lazy() { return 1; }
