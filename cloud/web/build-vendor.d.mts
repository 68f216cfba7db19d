/** Copies vendor browser builds (echarts) into cloud/web/vendor/; returns the files it copied. */
export function buildVendor(): string[];
