import { render } from 'preact';
document.getElementById('app') && render(<p>blocked</p>, document.getElementById('app')!);
