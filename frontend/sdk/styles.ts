// The host-page styles of the bubble and the iframe holder, scoped by the woot- class names
// (kept from Chatwoot so sites that restyle them keep working).

export const SDK_CSS = `
.woot-widget-holder{position:fixed;z-index:2147483000;bottom:96px;width:400px;max-width:calc(100vw - 40px);height:min(680px,calc(100% - 116px));min-height:250px;border-radius:16px;overflow:hidden;box-shadow:0 12px 48px rgba(15,23,42,.22),0 2px 6px rgba(15,23,42,.12);background:transparent;opacity:1;transform:none;transition:opacity .18s ease,transform .18s ease,visibility 0s}
.woot-widget-holder iframe{border:0;width:100%;height:100%;display:block;color-scheme:normal}
.woot-widget-holder.woot--hide{visibility:hidden;opacity:0;transform:translateY(12px);pointer-events:none;transition:opacity .18s ease,transform .18s ease,visibility 0s .18s}
.woot-elements--right{right:20px}.woot-elements--left{left:20px}
.woot--bubble-holder{position:fixed;z-index:2147483000;bottom:20px}
.woot-widget-bubble{all:initial;box-sizing:border-box;position:relative;display:flex;align-items:center;justify-content:center;gap:8px;height:60px;min-width:60px;padding:0 18px;border-radius:30px;cursor:pointer;font:600 15px/1.2 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;box-shadow:0 6px 20px rgba(15,23,42,.24);transition:transform .15s ease,box-shadow .15s ease}
.woot-widget-bubble.woot--standard{width:60px;padding:0}
.woot-widget-bubble:hover{transform:translateY(-2px);box-shadow:0 10px 26px rgba(15,23,42,.28)}
.woot-widget-bubble:focus-visible{outline:3px solid #1b1f24;outline-offset:3px;box-shadow:0 0 0 6px #fff}
.woot-widget-bubble svg{width:26px;height:26px;fill:currentColor;flex:none}
.woot-widget-bubble .woot--close-icon{display:none}
.woot-widget-bubble.woot--open .woot--close-icon{display:block}
.woot-widget-bubble.woot--open .woot--chat-icon,.woot-widget-bubble.woot--open .woot--label{display:none}
.woot-widget-bubble.woot--open{width:60px;padding:0}
.woot--notification{position:absolute;top:-3px;right:-3px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;border-radius:10px;background:#e11d48;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center;border:2px solid #fff}
.woot--notification[hidden],.woot--bubble-holder[hidden]{display:none}
.woot--preview{all:initial;box-sizing:border-box;position:absolute;bottom:72px;width:280px;max-width:calc(100vw - 40px);padding:12px 14px;border-radius:12px;background:#fff;color:#1b1f24;box-shadow:0 8px 28px rgba(15,23,42,.2);font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;cursor:pointer;display:block}
.woot-elements--right .woot--preview{right:0}.woot-elements--left .woot--preview{left:0}
.woot--preview strong{display:block;font-weight:600;margin-bottom:2px}
.woot--preview span{display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden}
.woot--preview:focus-visible{outline:3px solid #1b1f24;outline-offset:2px}
@media (max-width:667px){
.woot-widget-holder{inset:0;width:100%;max-width:100%;height:100%;border-radius:0;bottom:0}
.woot-widget-holder.woot-elements--left,.woot-widget-holder.woot-elements--right{left:0;right:0}
.woot--open-mobile .woot--bubble-holder{display:none}
}
@media (prefers-reduced-motion:reduce){.woot-widget-holder,.woot-widget-holder.woot--hide,.woot-widget-bubble{transition:none}}
`
