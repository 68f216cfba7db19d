export { CertificateAuthority, fingerprintOf, type IssuedCertificate, type CaOptions } from './certificate-authority.ts';
export { newClaimCode, normaliseClaimCode, hashClaimCode } from './claim-codes.ts';
export { ProvisioningService, type ProvisioningServiceDeps, type ClaimResult, type CertificateRecord } from './provisioning-service.ts';
export { RemoteConfigService, type RemoteConfigDeps, type DesiredConfig, type ConfigAuditEntry, type CommandPublisher, type StatusSource, type GatewayConfigValidator } from './remote-config.ts';
export { CertificateExpiryWatch, expiryConditionKey, type ExpiryWatchDeps } from './expiry-watch.ts';
export { RenewalServer, type RenewalServerOptions } from './renewal-server.ts';
export { registerProvisioningRoutes, PROVISIONING_ROLES, type ProvisioningRouteDeps } from './routes.ts';
export { jsonDiff, type DiffEntry } from './config-diff.ts';
export { startProvisioning, type ProvisioningOptions, type ProvisioningParts } from './start-provisioning.ts';
