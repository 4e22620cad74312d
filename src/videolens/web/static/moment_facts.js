// What a moment card says beside its description: each fact once.
//
// Backends repeat themselves: the basic analyzer lists ``people: ["person", "person", "person"]``
// beside ``objects: ["3 people", "car"]`` and ``actions: ["camera/scene change"]`` on a shot's
// first frame. The card shows "3 people · car · new shot", not every list as it came.

const SHOT_ACTIONS = new Set(["camera/scene change", "scene change", "shot change", "new shot"]);
const GENERIC_PERSON = new Set(["person", "people", "persons", "a person"]);

const key = (text) => String(text).trim().toLowerCase();

/** ``"3 people"`` -> ``{count: 3, noun: "people"}``; null for anything else. */
function counted(text) {
  const match = key(text).match(/^(\d+)\s+(.+)$/);
  return match ? { count: Number(match[1]), noun: match[2] } : null;
}

/** ``n`` of ``item``: ``"3 people"`` for a generic person, ``"2 × dog"`` otherwise. */
function many(item, n) {
  if (n === 1) return item;
  return GENERIC_PERSON.has(key(item)) ? `${n} people` : `${n} × ${item}`;
}

/**
 * The card's chips: ``{kind, text}`` with kind ``text`` (read on screen), ``shot`` or ``fact``.
 * Duplicates (any case) are said once, repeats of a plain item become a count, a generic
 * "person" is dropped when a count of people is already given, and a shot change is one chip.
 */
export function momentFacts(frame) {
  const chips = [];
  const seenText = new Set();
  for (const text of frame.text || []) {
    if (!String(text).trim() || seenText.has(key(text))) continue;
    seenText.add(key(text));
    chips.push({ kind: "text", text });
  }
  const shot = Boolean(frame.shot_start || frame.shot_change || frame.reason === "shot"
    || (frame.actions || []).some((a) => SHOT_ACTIONS.has(key(a))));
  if (shot) chips.push({ kind: "shot", text: "new shot" });

  const items = [...(frame.people || []), ...(frame.objects || []), ...(frame.actions || [])]
    .filter((item) => String(item).trim() && !SHOT_ACTIONS.has(key(item)));
  const peopleCounted = items.some((item) => {
    const c = counted(item);
    return c && GENERIC_PERSON.has(c.noun);
  });
  const order = [];
  const counts = new Map();
  for (const item of items) {
    const k = key(item);
    if (peopleCounted && GENERIC_PERSON.has(k)) continue;
    if (!counts.has(k)) order.push(item);
    counts.set(k, (counts.get(k) || 0) + 1);
  }
  for (const item of order) chips.push({ kind: "fact", text: many(item, counts.get(key(item))) });
  return chips;
}
