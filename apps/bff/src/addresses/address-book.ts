import {
  MAX_ADDRESSES_PER_USER,
  orderAddressOf,
  type AddressBookEntry,
  type SaveAddressRequest,
} from '@uni-checkout/shared';
import { saveAddressRequestSchema } from '@uni-checkout/shared';
import type { Address, PrismaClient, Prisma } from '../db/index.js';
import { AppError, notFound } from '../errors.js';

export function toAddressDto(a: Address): AddressBookEntry {
  return {
    id: a.id,
    ...orderAddressOf(a),
    isDefault: a.isDefault,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The default first, then the newest: the order the checkout offers them in. */
export async function listAddresses(prisma: PrismaClient, userId: string): Promise<Address[]> {
  return prisma.address.findMany({
    where: { userId },
    orderBy: [{ isDefault: 'desc' }, { createdAt: 'desc' }, { id: 'asc' }],
  });
}

async function ownAddress(tx: Prisma.TransactionClient | PrismaClient, userId: string, id: string) {
  const found = UUID.test(id) ? await tx.address.findFirst({ where: { id, userId } }) : null;
  if (!found) throw notFound(`address ${id}`);
  return found;
}

/**
 * Exactly one default per book: every other entry of the shopper is cleared in the same
 * transaction. Clearing touches (and so row-locks) all of the shopper's entries, so two
 * concurrent "make default" calls serialize and the later one wins.
 */
async function makeDefault(tx: Prisma.TransactionClient, userId: string, id: string) {
  await tx.address.updateMany({ where: { userId, id: { not: id } }, data: { isDefault: false } });
  await tx.address.update({ where: { id }, data: { isDefault: true } });
}

export async function createAddress(prisma: PrismaClient, userId: string, body: unknown): Promise<Address> {
  const input = saveAddressRequestSchema.parse(body);
  return prisma.$transaction(async (tx) => {
    const count = await tx.address.count({ where: { userId } });
    if (count >= MAX_ADDRESSES_PER_USER) {
      throw new AppError(
        'ADDRESS_BOOK_FULL',
        409,
        `an address book holds at most ${MAX_ADDRESSES_PER_USER} addresses: delete one first`,
      );
    }
    const { isDefault, ...fields } = input;
    const created = await tx.address.create({ data: { ...fields, postalCode: fields.postalCode ?? null, userId } });
    // the first address is the default; later ones only when asked
    if (isDefault || count === 0) await makeDefault(tx, userId, created.id);
    return tx.address.findUniqueOrThrow({ where: { id: created.id } });
  });
}

export async function updateAddress(prisma: PrismaClient, userId: string, id: string, body: unknown) {
  const input = saveAddressRequestSchema.parse(body);
  return prisma.$transaction(async (tx) => {
    const existing = await ownAddress(tx, userId, id);
    const { isDefault, ...fields } = input;
    await tx.address.update({ where: { id: existing.id }, data: { ...fields, postalCode: fields.postalCode ?? null } });
    if (isDefault) await makeDefault(tx, userId, existing.id);
    // un-defaulting the default leaves the book without one until another is chosen
    else if (isDefault === false) await tx.address.update({ where: { id: existing.id }, data: { isDefault: false } });
    return tx.address.findUniqueOrThrow({ where: { id: existing.id } });
  });
}

export async function deleteAddress(prisma: PrismaClient, userId: string, id: string): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const existing = await ownAddress(tx, userId, id);
    await tx.address.delete({ where: { id: existing.id } });
    if (!existing.isDefault) return;
    // the default went away: the newest remaining entry takes its place
    const next = await tx.address.findFirst({ where: { userId }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
    if (next) await makeDefault(tx, userId, next.id);
  });
}

export type { SaveAddressRequest };
