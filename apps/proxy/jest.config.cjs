module.exports = require('../../jest.preset.cjs')('proxy', __dirname);
