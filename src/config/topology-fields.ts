import { z } from 'zod';

/** The formats fields of the topology file share; each error says what is expected. */
export const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'expected an IPv4 CIDR such as 10.20.0.0/16');
export const ipv4 = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'expected an IPv4 address such as 203.0.113.10');
export const name = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,31}$/,
    'expected a lowercase name: letters, digits and dashes, starting with a letter',
  );
