import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';

/** Runs a conditional write; false when the condition did not hold. */
export async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    if (
      err instanceof ConditionalCheckFailedException ||
      (err as Error).name === 'ConditionalCheckFailedException'
    ) {
      return false;
    }
    throw err;
  }
}

/** A transaction cancelled because its first item's condition failed: a plain "someone else wrote first". */
export function firstConditionFailed(err: unknown): boolean {
  const reasons = (err as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons;
  return (
    (err as Error).name === 'TransactionCanceledException' && reasons?.[0]?.Code === 'ConditionalCheckFailed'
  );
}

type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

/** TransactWriteItems where the endpoint has it; DynamoDB and moto do, dynalite does not. */
export class Transactions {
  /** False once the endpoint said it has no TransactWriteItems. */
  private available = true;

  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /**
   * True once written as one; false when the endpoint has no transactions (the caller writes another way).
   * The items are built only when a transaction will be tried.
   */
  async write(items: () => TransactItems): Promise<boolean> {
    if (!this.available) return false;
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items() }));
      return true;
    } catch (err) {
      if ((err as Error).name !== 'UnknownOperationException') throw err;
      this.available = false;
      return false;
    }
  }
}
