export * from '../../local/mockProgram';
