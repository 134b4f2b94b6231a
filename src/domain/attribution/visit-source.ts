// Where a website visit came from: the UTM tags and Google click id of its landing page, its
// referrer, and the source and medium derived from them.

/** What a visit brought with it; every field is bounded text, null when absent. */
export interface VisitSource {
  /** utm_source, else derived (see deriveSourceMedium). */
  source: string;
  medium: string;
  campaign: string | null;
  term: string | null;
  content: string | null;
  gclid: string | null;
  /** Origin and path of the referring page, without its query (which may hold personal data). */
  referrer: string | null;
  /** Origin and path of the page the visit landed on, without its query. */
  landingPage: string | null;
}

export interface VisitTags {
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  gclid: string | null;
  referrer: string | null;
  landingPage: string | null;
}

/**
 * Names a visit's source and medium the way web analytics does: UTM tags win; a Google click id
 * alone means a Google ad; a referrer from another site is a referral; nothing is direct.
 */
function deriveSourceMedium(tags: VisitTags): { source: string; medium: string } {
  if (tags.utmSource !== null) return { source: tags.utmSource, medium: tags.utmMedium ?? '(none)' };
  if (tags.gclid !== null) return { source: 'google', medium: 'cpc' };
  const referrerHost = hostOf(tags.referrer);
  if (referrerHost !== null && referrerHost !== hostOf(tags.landingPage)) return { source: referrerHost, medium: 'referral' };
  return { source: '(direct)', medium: '(none)' };
}

function hostOf(url: string | null): string | null {
  if (url === null) return null;
  try {
    return new URL(url).hostname || null;
  } catch {
    return null;
  }
}

/** An http(s) URL reduced to origin and path; null when it is not one. */
export function withoutQuery(raw: string | null): string | null {
  if (raw === null) return null;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.origin + url.pathname;
  } catch {
    return null;
  }
}

export function visitSourceFrom(tags: VisitTags): VisitSource {
  const referrer = withoutQuery(tags.referrer);
  const landingPage = withoutQuery(tags.landingPage);
  return {
    ...deriveSourceMedium({ ...tags, referrer, landingPage }),
    campaign: tags.utmCampaign,
    term: tags.utmTerm,
    content: tags.utmContent,
    gclid: tags.gclid,
    referrer,
    landingPage,
  };
}
