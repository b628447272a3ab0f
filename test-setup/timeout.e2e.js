// Jest 30 ignores testTimeout inside projects: each tier sets its own here.
jest.setTimeout(180000);
