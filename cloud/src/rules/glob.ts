/** `device/point` globs: `*` matches any run of characters inside one segment. */
const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    re = new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
    cache.set(glob, re);
  }
  return re;
}

export function matchesAny(globs: readonly string[], rel: string): boolean {
  return globs.some((g) => globToRegExp(g).test(rel));
}

/** `site/device/point` → site and `device/point`. */
export function splitSite(point: string): { siteId: string; rel: string } {
  const i = point.indexOf('/');
  return { siteId: point.slice(0, i), rel: point.slice(i + 1) };
}
