/**
 * AWS IoT Core fleet provisioning by claim (the AWS-hosted counterpart of `safeloop provision claim`):
 * the gateway connects with the shared, narrowly-scoped *claim* certificate, sends the CSR of a key pair
 * generated here to `$aws/certificates/create-from-csr/json`, then registers the thing with a provisioning
 * template (`$aws/provisioning-templates/{name}/provision/json`) passing the certificate ownership token and
 * template parameters (gateway id, site). The reply names the thing (= gateway id); the private key never
 * leaves the box. Uses aws-iot-device-sdk-v2's `iotidentity` request/response client over MQTT 5.
 * See docs/provisioning.md for the template and the IoT policy.
 */
import { existsSync } from 'node:fs';
import type { iotidentity, mqtt5 } from 'aws-iot-device-sdk-v2';
import { SafeLoopError, errorMessage } from '@safeloop/contract';

export interface FleetProvisioningOptions {
  /** AWS IoT data endpoint (xxxx-ats.iot.region.amazonaws.com) or any MQTT 5 broker. */
  endpoint: string;
  port?: number;
  /** The claim certificate and key (provisioning-only rights) and the CA to verify the endpoint. */
  claim: { cert: string; key: string; ca: string };
  /** MQTT client id for the provisioning session. */
  clientId: string;
  templateName: string;
  /** Template parameters, e.g. { GatewayId, SiteId }. */
  parameters: Record<string, string>;
  timeoutMs?: number;
}

export interface FleetProvisioningResult {
  certificateId: string;
  certificatePem: string;
  thingName: string;
  deviceConfiguration: Record<string, string>;
}

function rejectionText(err: unknown): string {
  const e = err as { error?: unknown; modeledError?: { statusCode?: number; errorCode?: string; errorMessage?: string } };
  const m = e.modeledError;
  if (m) return `${m.statusCode ?? '?'} ${m.errorCode ?? ''} ${m.errorMessage ?? ''}`.trim();
  return errorMessage(err);
}

export class FleetProvisioningClient {
  constructor(private readonly opts: FleetProvisioningOptions) {
    for (const [what, path] of Object.entries(opts.claim)) {
      if (!existsSync(path)) throw new SafeLoopError('GW_ERR_FLEET_FILES', `fleet provisioning: claim ${what} file not found: ${path}`);
    }
  }

  /** Exchange the CSR for a certificate and register the thing; resolves when both are accepted. */
  async provision(csrPem: string): Promise<FleetProvisioningResult> {
    const sdk = await import('aws-iot-device-sdk-v2');
    const { iot, mqtt5 } = sdk;
    const o = this.opts;
    const timeoutMs = o.timeoutMs ?? 20_000;
    const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromPath(o.endpoint, o.claim.cert, o.claim.key);
    builder.withCertificateAuthorityFromPath(undefined, o.claim.ca);
    builder.withPort(o.port ?? 8883);
    builder.withConnectProperties({ clientId: o.clientId, keepAliveIntervalSeconds: 30, sessionExpiryIntervalSeconds: 0 });
    builder.withSessionBehavior(mqtt5.ClientSessionBehavior.Clean);
    builder.withConnackTimeoutMs(timeoutMs);
    builder.withMinReconnectDelayMs(3_600_000);
    const client = new mqtt5.Mqtt5Client(builder.build());
    client.on('error', () => undefined);
    let identity: iotidentity.IotIdentityClientv2 | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
        client.once('connectionSuccess', () => {
          clearTimeout(timer);
          resolve();
        });
        client.once('connectionFailure', (e) => {
          clearTimeout(timer);
          reject(e.error);
        });
        client.start();
      }).catch((err: unknown) => {
        throw new SafeLoopError('GW_ERR_FLEET_CONNECT', `fleet provisioning: connect to ${o.endpoint}:${o.port ?? 8883} failed: ${errorMessage(err)}`, { cause: err });
      });
      identity = sdk.iotidentity.IotIdentityClientv2.newFromMqtt5(client, {
        maxRequestResponseSubscriptions: 2,
        maxStreamingSubscriptions: 0,
        operationTimeoutInSeconds: Math.ceil(timeoutMs / 1000),
      });
      const created = await identity.createCertificateFromCsr({ certificateSigningRequest: csrPem }).catch((err: unknown) => {
        throw new SafeLoopError('GW_ERR_FLEET_CSR_REJECTED', `fleet provisioning: CreateCertificateFromCsr rejected: ${rejectionText(err)}`, { cause: err });
      });
      if (!created.certificatePem || !created.certificateOwnershipToken || !created.certificateId) {
        throw new SafeLoopError('GW_ERR_FLEET_CSR_REJECTED', 'fleet provisioning: CreateCertificateFromCsr answer lacks certificate or ownership token');
      }
      const registered = await identity
        .registerThing({ templateName: o.templateName, certificateOwnershipToken: created.certificateOwnershipToken, parameters: o.parameters })
        .catch((err: unknown) => {
          throw new SafeLoopError('GW_ERR_FLEET_REGISTER_REJECTED', `fleet provisioning: RegisterThing (${o.templateName}) rejected: ${rejectionText(err)}`, { cause: err });
        });
      if (!registered.thingName) throw new SafeLoopError('GW_ERR_FLEET_REGISTER_REJECTED', 'fleet provisioning: RegisterThing answer names no thing');
      return {
        certificateId: created.certificateId,
        certificatePem: created.certificatePem,
        thingName: registered.thingName,
        deviceConfiguration: registered.deviceConfiguration ?? {},
      };
    } finally {
      identity?.close();
      await stopClient(client);
    }
  }
}

function stopClient(client: mqtt5.Mqtt5Client): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      setImmediate(() => {
        client.close();
        resolve();
      });
    };
    const timer = setTimeout(done, 2000);
    client.once('stopped', done);
    try {
      client.stop();
    } catch {
      done();
    }
  });
}
