// Runs every project's specs in one jest run (npm test); each project also has its own `nx test`.
const fs = require('node:fs');
const path = require('node:path');

const projects = ['apps', 'libs'].flatMap((group) =>
  fs.existsSync(path.join(__dirname, group))
    ? fs
        .readdirSync(path.join(__dirname, group))
        .map((name) => path.join(__dirname, group, name, 'jest.config.cjs'))
        .filter((file) => fs.existsSync(file))
    : [],
);

module.exports = { projects };
