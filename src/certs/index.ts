// Certificates Hecate obtains (DNS-01 through its DNS provider) or imports, and their renewal.

export { checkPair, getIssued, leafFacts, listIssued, renewalDue, renewalDueAt, type IssuedCertificate } from "./issued.js";
export { renewCertificate, renewalReason, heldCertificate } from "./renew.js";
