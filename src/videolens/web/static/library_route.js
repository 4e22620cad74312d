// The library view's address: ``#/library`` with its filters, page and search in the query
// (``#/library?source=file&label=car&page=2&q=sunrise``), so that Back returns to what was shown.

/** The parameters of a library hash, or null when ``hash`` is not the library. */
export function libraryParams(hash) {
  const match = hash.match(/^#\/library(?:\?(.*))?$/);
  return match ? new URLSearchParams(match[1] || "") : null;
}

/** The library's hash for ``params`` (empty values left out). */
export function libraryHash(params) {
  const kept = new URLSearchParams();
  for (const [name, value] of params) if (value) kept.set(name, value);
  const query = kept.toString();
  return query ? `#/library?${query}` : "#/library";
}

/** Go to the library as it is shown now, with ``changes`` (a null value removes a parameter). */
export function changeLibrary(changes) {
  const params = libraryParams(location.hash) || new URLSearchParams();
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === "") params.delete(name);
    else params.set(name, value);
  }
  location.hash = libraryHash(params);
}
