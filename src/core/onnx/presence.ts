/**
 * Field presence that the IR does not model. ONNX's schema is proto2: a string field stored as '' is "set" and one
 * left out is not. They mean the same, but ONNX's own tools tell them apart (`a == b` on messages, HasField), and
 * files in the wild have both (onnx.helper writes `domain: ""` on opset imports, exporters leave it out). The
 * reader notes, per IR object, the fields whose presence the writer would not reproduce from the value alone, and
 * the writer follows the note; so an unchanged object is written back as ONNX's tools read it. Objects that other
 * code builds or copies carry no note and get the writer's default (empty strings left out, opset domains written).
 * A WeakMap rather than an IR property, so that the note never shows in the IR's shape or in deep comparisons.
 */

const notes = new WeakMap<object, Map<string, boolean>>();

/** Records that `field` of the message `target` was read from was present (true) or absent (false). */
export function notePresence(target: object, field: string, present: boolean): void {
  let m = notes.get(target);
  if (!m) {
    m = new Map();
    notes.set(target, m);
  }
  m.set(field, present);
}

/** The presence noted for `field` of `target`, or undefined when nothing was noted. */
export function notedPresence(target: object, field: string): boolean | undefined {
  return notes.get(target)?.get(field);
}
