export { startSecureMosquitto, mosquittoAcl, type SecureMosquitto, type SecureMosquittoOptions } from './secure-mosquitto.ts';
