import type { UplinkConfig } from './config.ts';
import { MqttTransport } from './mqtt-transport.ts';
import { AwsIotTransport } from './aws-iot-transport.ts';
import type { UplinkTransport } from './transport.ts';

/** The transport the config asks for. */
export function createTransport(config: UplinkConfig): UplinkTransport {
  switch (config.transport) {
    case 'mqtt':
      return new MqttTransport(config);
    case 'aws-iot':
      return new AwsIotTransport(config);
  }
}
