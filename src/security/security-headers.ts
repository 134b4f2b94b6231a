// Security headers for every admin response (the API, the CSV downloads and the dashboard): a
// Content-Security-Policy that allows nothing but this origin, no framing, no sniffing, no referrer.

import helmet from 'helmet';

export const adminSecurityHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      // Recordings and voicemails play in the dashboard from the admin API, on this origin.
      mediaSrc: ["'self'"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  referrerPolicy: { policy: 'no-referrer' },
  // TLS is the reverse proxy's business (this server speaks plain HTTP), so is HSTS.
  strictTransportSecurity: false,
});
