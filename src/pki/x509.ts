// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata polyfill loaded
// first. Every use of the library goes through this module, so that order holds everywhere.
import 'reflect-metadata';

export * from '@peculiar/x509';
