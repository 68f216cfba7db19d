export { caFingerprintOf, checkClaimTransport, claimGateway, uplinkYaml, type ClaimOptions, type ClaimOutcome } from './claim-client.ts';
export { renewCertificate, type RenewOptions } from './renew-client.ts';
export { generateKeyAndCsr, identityPaths, describeCertificate, type IdentityPaths } from './identity-files.ts';
export { FleetProvisioningClient, type FleetProvisioningOptions, type FleetProvisioningResult } from './fleet-provisioning.ts';
