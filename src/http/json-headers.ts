/** Every JSON answer is about live state (or a secret-bearing request): no browser or proxy may keep it. */
export const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
};
