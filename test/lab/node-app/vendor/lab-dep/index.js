module.exports = () => 'ok';
