import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';
import { BOT_REPOSITORY, SERVER_REPOSITORY } from '../naming.js';

/**
 * ECR repositories for the bot and the OpenVPN server images. A stack of its own, deployed first, so
 * images can be pushed before the services that run them exist; the other stacks refer to the
 * repositories by name and to an immutable tag from context (`botImageTag`, `serverImageTag`), which keeps
 * `cdk synth` free of Docker.
 */
export class ImagesStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    for (const [cid, repositoryName] of [
      ['BotRepository', BOT_REPOSITORY],
      ['ServerRepository', SERVER_REPOSITORY],
    ] as const) {
      new ecr.Repository(this, cid, {
        repositoryName,
        imageScanOnPush: true,
        imageTagMutability: ecr.TagMutability.IMMUTABLE,
        encryption: ecr.RepositoryEncryption.KMS,
        lifecycleRules: [{ description: 'keep the last 50 images', maxImageCount: 50 }],
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }
  }
}
